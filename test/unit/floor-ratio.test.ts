// The arithmetic of the bench's floor-ratio scenario (bench/floor/ratio.ts): which streams run, CPU per
// event, the ratio service / (floor + direct), medians with their range, and the order of the passes.
import {
  countedMsPerEvent,
  floorRatio,
  floorStreams,
  msPerEvent,
  passOrder,
  spread,
} from '../../bench/floor/ratio';
import { countKinds, generateStream, type StreamSpec } from '../../bench/stream';

const base: StreamSpec = {
  events: 200,
  policies: 20,
  dupRate: 0.2,
  burstRate: 0.2,
  burstSize: 10,
  seed: 7,
  prefix: 'bx-str',
};

describe('floor-ratio streams', () => {
  it('runs the plain mixed stream and the one with redeliveries and bursts, apart by name', () => {
    const streams = floorStreams(base);
    expect(streams.map((s) => s.name)).toEqual(['mixed', 'dups-bursts']);
    const [mixed, dups] = streams;
    expect(mixed.spec).toMatchObject({ dupRate: 0, burstRate: 0, events: 200, policies: 20, seed: 7 });
    expect(dups.spec).toMatchObject({ dupRate: 0.2, burstRate: 0.2, burstSize: 10 });
    expect(mixed.spec.prefix).not.toBe(dups.spec.prefix);
    // What the generated streams hold: no redeliveries in the mixed one, some in the other.
    expect(countKinds(generateStream(mixed.spec)).duplicate).toBe(0);
    expect(countKinds(generateStream(dups.spec)).duplicate).toBeGreaterThan(0);
  });

  it('runs only the mixed stream when the options ask for neither redeliveries nor bursts', () => {
    const streams = floorStreams({ ...base, dupRate: 0, burstRate: 0 });
    expect(streams.map((s) => s.name)).toEqual(['mixed']);
  });

  it('keeps the options of the stream with redeliveries and bursts as given', () => {
    const [, dups] = floorStreams({ ...base, dupRate: 0.5, burstRate: 0 });
    expect(dups.spec).toMatchObject({ dupRate: 0.5, burstRate: 0 });
  });
});

describe('CPU per event', () => {
  const seconds = { worker: 3, temporal: 2, bench: 1, moto: 4, proxy: 0.5, others: 9 };

  it('counts the worker, the dev server and the submitting client, not moto, the proxy or others', () => {
    expect(countedMsPerEvent(seconds, 600)).toBeCloseTo(10, 10);
  });

  it('counts a process not measured (the direct pass has no worker) as nothing', () => {
    expect(countedMsPerEvent({ bench: 0.3 }, 100)).toBeCloseTo(3, 10);
  });

  it('gives every process its own figure', () => {
    const perEvent = msPerEvent(seconds, 500);
    expect(perEvent.moto).toBeCloseTo(8, 10);
    expect(perEvent.proxy).toBeCloseTo(1, 10);
    expect(perEvent.others).toBeCloseTo(18, 10);
  });

  it('refuses a pass without events', () => {
    expect(() => countedMsPerEvent(seconds, 0)).toThrow();
    expect(() => msPerEvent(seconds, 0)).toThrow();
  });
});

describe('floorRatio', () => {
  it('is the service over floor plus the direct IAM cost', () => {
    expect(floorRatio(11, 8, 2)).toBeCloseTo(1.1, 10);
    expect(floorRatio(20, 8, 2)).toBeCloseTo(2, 10);
  });

  it('refuses a floor and IAM cost of nothing', () => {
    expect(() => floorRatio(5, 0, 0)).toThrow();
  });
});

describe('spread', () => {
  it('gives the middle value of an odd count and the range', () => {
    expect(spread([1.4, 1.1, 1.2])).toEqual({ median: 1.2, min: 1.1, max: 1.4, count: 3 });
  });

  it('gives the mean of the two middle values of an even count', () => {
    expect(spread([4, 1, 3, 2]).median).toBe(2.5);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    spread(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it('refuses no values', () => {
    expect(() => spread([])).toThrow();
  });
});

describe('passOrder', () => {
  it('alternates floor and service, with the direct consumer once per repeat', () => {
    const order = passOrder(3);
    expect(order.map((p) => `${p.kind}${p.repeat}`)).toEqual([
      'floor1',
      'service1',
      'direct1',
      'floor2',
      'service2',
      'direct2',
      'floor3',
      'service3',
      'direct3',
    ]);
    const workflowPasses = order.filter((p) => p.kind !== 'direct').map((p) => p.kind);
    workflowPasses.forEach((kind, index) => expect(kind).toBe(index % 2 === 0 ? 'floor' : 'service'));
  });
});
