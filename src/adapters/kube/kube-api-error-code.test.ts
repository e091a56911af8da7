import { KubeApiError, kubeApiErrorCode } from './kube-api-error';

describe('kubeApiErrorCode', () => {
  test.each([
    [403, 'E_KUBE_FORBIDDEN'],
    [401, 'E_KUBE_UNAUTHORIZED'],
    [404, 'E_KUBE_NOT_FOUND'],
    [400, 'E_KUBE_INVALID'],
    [422, 'E_KUBE_INVALID'],
    [409, 'E_KUBE_CONFLICT'],
    [410, 'E_KUBE_CONFLICT'],
    [0, 'E_KUBE_UNAVAILABLE'],
    [429, 'E_KUBE_UNAVAILABLE'],
    [503, 'E_KUBE_UNAVAILABLE'],
    [405, 'E_KUBE_UNAVAILABLE'],
  ])('status %i is %s', (status, code) => {
    expect(kubeApiErrorCode(status)).toBe(code);
  });

  test('a KubeApiError carries the code of its status', () => {
    const error = new KubeApiError({ status: 403, reason: 'Forbidden', message: 'x', permanent: true });
    expect(error.code).toBe('E_KUBE_FORBIDDEN');
  });
});
