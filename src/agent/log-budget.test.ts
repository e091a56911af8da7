import { logBudget } from './log-budget';

describe('logBudget', () => {
  it('writes the first N lines of a second, counts the rest and reports them once the next second starts', () => {
    let t = 10_000;
    const budget = logBudget(3, () => t);
    const written = Array.from({ length: 10 }, () => budget.take());
    expect(written).toEqual([true, true, true, false, false, false, false, false, false, false]);
    // Still the same second: nothing to report yet.
    expect(budget.takeSkipped()).toBe(0);
    t += 1000;
    expect(budget.takeSkipped()).toBe(7);
    expect(budget.takeSkipped()).toBe(0);
    // A new second has a new budget.
    expect(budget.take()).toBe(true);
  });

  it('keeps counting across seconds until someone asks', () => {
    let t = 0;
    const budget = logBudget(1, () => t);
    budget.take();
    budget.take(); // skipped in second 0
    t = 1500;
    budget.take();
    budget.take(); // skipped in second 1
    t = 2100;
    expect(budget.takeSkipped()).toBe(2);
  });
});
