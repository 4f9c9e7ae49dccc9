import { InvalidArgumentError } from 'commander';
import { integerFrom } from '../../src/config/cli-options';

describe('integerFrom (--concurrency, --wait-time, --max-messages)', () => {
  const parse = integerFrom(1, 20);

  test('takes whole numbers in the range, its ends included', () => {
    expect(parse('1')).toBe(1);
    expect(parse('20')).toBe(20);
    expect(parse(' 7 ')).toBe(7);
  });

  test.each(['0', '21', '1.5', '', ' ', 'ten', '1e1x', '-3'])('refuses %p, naming the range', (value) => {
    expect(() => parse(value)).toThrow(InvalidArgumentError);
    expect(() => parse(value)).toThrow('must be a whole number from 1 to 20');
  });
});
