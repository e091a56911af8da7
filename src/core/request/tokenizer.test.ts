import { tokenize, type Token } from './tokenizer';

function kinds(text: string): string[] {
  return tokenize(text).map((t) => (t.kind === 'word' ? `w:${t.text}` : t.kind));
}

describe('tokenize', () => {
  it('splits words and punctuation, with spans and the whitespace flag', () => {
    const tokens = tokenize('allow frontend/app=nginx to  backend');
    expect(tokens.map((t: Token) => [t.kind, t.text, t.start, t.end, t.spaceBefore])).toEqual([
      ['word', 'allow', 0, 5, true],
      ['word', 'frontend', 6, 14, true],
      ['/', '/', 14, 15, false],
      ['word', 'app', 15, 18, false],
      ['=', '=', 18, 19, false],
      ['word', 'nginx', 19, 24, false],
      ['word', 'to', 25, 27, true],
      ['word', 'backend', 29, 36, true],
      ['eof', '', 36, 36, true],
    ]);
  });

  it('recognises every operator', () => {
    expect(kinds('a==b c!=d !e f=g | , ( ) * ? -')).toEqual([
      'w:a',
      '==',
      'w:b',
      'w:c',
      '!=',
      'w:d',
      '!',
      'w:e',
      'w:f',
      '=',
      'w:g',
      '|',
      ',',
      '(',
      ')',
      '*',
      '?',
      '-',
      'eof',
    ]);
  });

  it('keeps a dash inside a word and splits it elsewhere', () => {
    expect(kinds('kube-system 8000-8100 both-sides a--b')).toEqual([
      'w:kube-system',
      'w:8000-8100',
      'w:both-sides',
      'w:a--b',
      'eof',
    ]);
    expect(kinds('8000 - 8100')).toEqual(['w:8000', '-', 'w:8100', 'eof']);
    expect(kinds('8000- 8100')).toEqual(['w:8000', '-', 'w:8100', 'eof']);
    expect(kinds('--dry-run')).toEqual(['-', '-', 'w:dry-run', 'eof']);
    expect(kinds('a-')).toEqual(['w:a', '-', 'eof']);
  });

  it('keeps addresses, prefixes and odd characters inside words', () => {
    expect(kinds('fd00::/8 10.0.0.1:443 app.kubernetes.io/name @bob')).toEqual([
      'w:fd00::',
      '/',
      'w:8',
      'w:10.0.0.1:443',
      'w:app.kubernetes.io',
      '/',
      'w:name',
      'w:@bob',
      'eof',
    ]);
  });

  it('drops quotes, but reads an empty pair as an empty word', () => {
    const tokens = tokenize('app="web" k="" x= \'y\'');
    expect(tokens.map((t) => [t.kind, t.text, t.spaceBefore])).toEqual([
      ['word', 'app', true],
      ['=', '=', false],
      ['word', 'web', false],
      ['word', 'k', true],
      ['=', '=', false],
      ['word', '', false],
      ['word', 'x', true],
      ['=', '=', false],
      ['word', 'y', true],
      ['eof', '', true],
    ]);
    expect(tokens[5]).toMatchObject({ start: 12, end: 14 });
  });

  it('always ends with eof, even for empty input', () => {
    expect(tokenize('')).toEqual([{ kind: 'eof', text: '', start: 0, end: 0, spaceBefore: true }]);
  });
});
