import { KubeApiError, toKubeApiError } from './kube-api-error';

/** The shape of client-node 1.x's ApiException: status code and the response body as text. */
function apiException(code: number, body: unknown): Error & { code: number; body: unknown } {
  return Object.assign(new Error(`HTTP-Code: ${code}`), { code, body, headers: {} });
}

const status = (code: number, reason: string, message: string, details?: object) =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, details });

describe('toKubeApiError', () => {
  test.each([
    [400, 'BadRequest', true],
    [401, 'Unauthorized', false],
    [403, 'Forbidden', true],
    [404, 'NotFound', true],
    [409, 'Conflict', false],
    [410, 'Expired', false],
    [422, 'Invalid', true],
    [429, 'TooManyRequests', false],
    [500, 'InternalError', false],
    [503, 'ServiceUnavailable', false],
  ])('%i %s: permanent %s, with the Status message', (code, reason, permanent) => {
    const error = toKubeApiError(apiException(code, status(code, reason, `the ${reason} message`)));
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error).toMatchObject({ status: code, reason, permanent, message: `the ${reason} message` });
  });

  test('reads a Status body that is already an object, and its details.kind', () => {
    const body = JSON.parse(
      status(404, 'NotFound', 'namespaces "nope" not found', { name: 'nope', kind: 'namespaces' }),
    );
    expect(toKubeApiError(apiException(404, body))).toMatchObject({
      status: 404,
      reason: 'NotFound',
      kind: 'namespaces',
      message: 'namespaces "nope" not found',
      permanent: true,
    });
  });

  test('a body that is not a Status still gives a reason and a message', () => {
    const error = toKubeApiError(apiException(502, '<html>bad gateway</html>'));
    expect(error).toMatchObject({ status: 502, reason: 'InternalError', permanent: false });
    expect(error.message).toContain('502');
    expect(error.message).toContain('bad gateway');
  });

  test('a network error is transient and keeps its cause', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const error = toKubeApiError(cause);
    expect(error).toMatchObject({ status: 0, reason: 'NetworkError', permanent: false });
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.cause).toBe(cause);
  });

  test('a KubeApiError passes through', () => {
    const error = new KubeApiError({ status: 409, reason: 'Conflict', message: 'x', permanent: false });
    expect(toKubeApiError(error)).toBe(error);
  });
});
