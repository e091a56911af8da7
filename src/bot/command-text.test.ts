import { splitCommandText } from './command-text';

describe('splitCommandText', () => {
  it.each([
    ['show backend', { subcommand: 'show', rest: 'backend' }],
    ['  SHOW   backend  ', { subcommand: 'show', rest: 'backend' }],
    [
      'explain frontend/nginx to backend/api on 80',
      { subcommand: 'explain', rest: 'frontend/nginx to backend/api on 80' },
    ],
    [
      'reject r-abcdefghijklmnop because too wide',
      { subcommand: 'reject', rest: 'r-abcdefghijklmnop because too wide' },
    ],
    ['pending', { subcommand: 'pending', rest: '' }],
    ['help selectors', { subcommand: 'help', rest: 'selectors' }],
    ['', { subcommand: 'help', rest: '' }],
  ])('%j is a bot command', (text, expected) => {
    expect(splitCommandText(text)).toEqual(expected);
  });

  it.each([
    'allow frontend nginx to backend',
    'deny ingress in backend',
    'can frontend/nginx reach backend/api on 80',
    'who can reach backend/api',
    'frobnicate everything',
    'shows backend',
  ])('%j is a request of the policy language, kept whole', (text) => {
    expect(splitCommandText(text)).toEqual({ subcommand: 'request', rest: text });
  });

  it('takes the cluster from a leading @name, in lower case, for commands and requests alike', () => {
    expect(splitCommandText('@Prod show backend')).toEqual({
      cluster: 'prod',
      subcommand: 'show',
      rest: 'backend',
    });
    expect(splitCommandText('@staging allow a to b')).toEqual({
      cluster: 'staging',
      subcommand: 'request',
      rest: 'allow a to b',
    });
    expect(splitCommandText('@prod')).toEqual({ cluster: 'prod', subcommand: 'help', rest: '' });
  });

  it('reads an @ that is not a cluster name as part of the request', () => {
    expect(splitCommandText('@-bad show x')).toEqual({ subcommand: 'request', rest: '@-bad show x' });
    expect(splitCommandText('allow @prod to b')).toEqual({ subcommand: 'request', rest: 'allow @prod to b' });
  });
});
