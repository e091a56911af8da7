import { closest, editDistance } from './suggest';

describe('suggestions', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('wbe', 'web')).toBe(1);
    expect(editDistance('backnd', 'backend')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests only close names', () => {
    expect(closest('backnd', ['frontend', 'backend'])).toBe('backend');
    expect(closest('zzz', ['frontend', 'backend'])).toBeUndefined();
  });
});
