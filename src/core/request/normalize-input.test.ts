import { normalizeInput } from './normalize-input';

describe('normalizeInput', () => {
  it.each([
    // Slack links and mentions
    ['allow backend to <http://10.0.0.1|10.0.0.1>', 'allow backend to 10.0.0.1'],
    ['allow backend to <http://10.0.0.0/16|10.0.0.0/16> on 443', 'allow backend to 10.0.0.0/16 on 443'],
    ['allow backend to <http://10.0.0.1>', 'allow backend to 10.0.0.1'],
    ['allow backend to <https://example.com/>', 'allow backend to example.com/'],
    ['allow a to <mailto:ops@example.com|ops@example.com>', 'allow a to ops@example.com'],
    ['<@U0LAN0Z89> allow frontend to backend', 'allow frontend to backend'],
    ['<@U0LAN0Z89|netpol> allow frontend to backend', 'allow frontend to backend'],
    ['allow frontend to backend <!here>', 'allow frontend to backend'],
    ['allow frontend to backend <!subteam^S123|@ops>', 'allow frontend to backend'],
    ['help <#C123|general>', 'help #general'],
    ['help <#C123>', 'help #C123'],
    ['help <!date^1392734382^{date}|Feb 18>', 'help Feb 18'],
    // HTML entities
    ['allow a &amp; b', 'allow a & b'],
    ['&lt;x&gt; &quot;y&quot; &#39;z&#39; &#x27;w&#x27; &apos;v&apos;', "<x> \"y\" 'z' 'w' 'v'"],
    ['a&nbsp;b', 'a b'],
    ['&amp;lt;', '&lt;'],
    ['&#99999999; &#0; &bogus;', '&#99999999; &#0; &bogus;'],
    // Smart punctuation and spaces
    ['allow a to b app=\u201cweb\u201d on 8000\u20138100', 'allow a to b app="web" on 8000-8100'],
    ['\u2018x\u2019 8000\u20148100 \u2212', "'x' 8000-8100 -"],
    ['allow\u00a0a\u2003to\u202fb\u3000on\t80\n\r', 'allow a to b on 80'],
    ['al\u200blow a\ufeff to b', 'allow a to b'],
    ['\uff41\uff4c\uff4c\uff4f\uff57 a\uff0f\uff0a to b', 'allow a/* to b'],
    // Code spans, fences and markup
    ['`allow frontend/* to backend/*`', 'allow frontend/* to backend/*'],
    ['```allow */* to *backend*```', 'allow */* to *backend*'],
    ['allow `*/*` to *backend*', 'allow */* to backend'],
    ['allow *frontend* to _backend_ on ~80~', 'allow frontend to backend on 80'],
    ['allow */* to ns/*', 'allow */* to ns/*'],
    ['allow * app=x to backend/app=*', 'allow * app=x to backend/app=*'],
    ['allow *frontend nginx* to backend', 'allow frontend nginx to backend'],
    ['allow my_app_x to b', 'allow my_app_x to b'],
    ['allow *frontend*, to b', 'allow frontend, to b'],
    ['allow a to `b', 'allow a to b'],
    // Whitespace and the command itself
    ['   /netpol   allow   a   to   b   ', 'allow a to b'],
    ['/NETPOL help', 'help'],
    ['/netpol', ''],
    ['/netpolice help', '/netpolice help'],
    ['', ''],
  ])('%j → %j', (raw, expected) => {
    expect(normalizeInput(raw)).toBe(expected);
  });

  it('never leaves a line break or control character', () => {
    expect(normalizeInput('allow a\u2028to\u2029b\u0085on\u000b80\u0000')).toBe('allow a to b on 80');
  });

  it('is idempotent on canonical requests', () => {
    for (const text of [
      'allow */* to default/app=web on any',
      'allow ns(team=operations)/type=monitoring to default/app=web,tier!=db on tcp/80',
      'deny egress from default/app=foo except dns | default/app=db on tcp/5432',
      'allow a/my_key=a_b,!x to b/k=* on tcp/http',
      'allow a/k="" to b/* on any',
    ]) {
      expect(normalizeInput(text)).toBe(text);
    }
  });
});
