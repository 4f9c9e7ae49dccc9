import { latencyRatesProblem, parseOptions } from '../../bench/options';
import { halfOf } from '../../bench/scenarios/latency';

describe('bench latency rates', () => {
  it("takes 'half' beside numbers, and half of saturation by default with 5 events/s", () => {
    expect(parseOptions(['--latency-rates', 'half,12.5']).latencyRates).toEqual(['half', 12.5]);
    expect(parseOptions([]).latencyRates).toEqual(['half', 5]);
  });

  it('offers half of the measured saturation, to a tenth of an event per second', () => {
    expect(halfOf(21.37)).toBe(10.7);
    expect(halfOf(0.05)).toBe(0.1);
  });

  it('refuses half without the stream scenario at full speed in the same run', () => {
    const base = { latencyRates: ['half' as const, 5], rate: 0 };
    expect(latencyRatesProblem({ ...base, scenarios: ['stream', 'latency'] })).toBeUndefined();
    expect(latencyRatesProblem({ ...base, scenarios: ['latency'] })).toMatch(/stream scenario at full speed/);
    expect(latencyRatesProblem({ ...base, scenarios: ['stream', 'latency'], rate: 20 })).toMatch(/--rate 0/);
    expect(latencyRatesProblem({ latencyRates: [20], rate: 0, scenarios: ['latency'] })).toBeUndefined();
  });
});
