import { formatSelector, selectorMatches } from './label-selector';

describe('selectorMatches', () => {
  const labels = { app: 'web', tier: 'front' };

  it('matches everything with an empty selector', () => {
    expect(selectorMatches({}, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: {} }, {})).toBe(true);
  });

  it('ANDs matchLabels and matchExpressions', () => {
    expect(selectorMatches({ matchLabels: { app: 'web' } }, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: { app: 'web', tier: 'back' } }, labels)).toBe(false);
    expect(
      selectorMatches(
        {
          matchLabels: { app: 'web' },
          matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }],
        },
        labels,
      ),
    ).toBe(false);
  });

  it.each([
    ['In', ['web', 'api'], true],
    ['In', ['api'], false],
    ['NotIn', ['api'], true],
    ['NotIn', ['web'], false],
  ] as const)('applies %s %j to app=web', (operator, values, expected) => {
    expect(
      selectorMatches({ matchExpressions: [{ key: 'app', operator, values: [...values] }] }, labels),
    ).toBe(expected);
  });

  it('treats a missing key as matching NotIn and DoesNotExist, not In or Exists', () => {
    const missing = (operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist') =>
      selectorMatches({ matchExpressions: [{ key: 'env', operator, values: ['prod'] }] }, labels);
    expect([missing('In'), missing('NotIn'), missing('Exists'), missing('DoesNotExist')]).toEqual([
      false,
      true,
      false,
      true,
    ]);
  });

  it('formats in kubectl notation', () => {
    expect(
      formatSelector({
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['a', 'b'] },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('app=web,tier in (a,b),!legacy');
    expect(formatSelector({})).toBe('{}');
  });
});
