import {
  Counter,
  Gauge,
  Histogram,
  register as defaultRegister,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
  type Registry,
} from 'prom-client';

/**
 * The one way Portico declares a prom-client series: get it from the registry if it is there,
 * else create it there. prom-client throws on a second registration of a name, and one process
 * meets the same declaration more than once: several BFFs, several gateways in one test process,
 * and a second module graph (vitest, tsx) with its own copy of the declaring module. Series are
 * process-wide objects, not request state; they are told apart by labels (`bff`, `source`).
 *
 * `registry` defaults to prom-client's default registry, which the admin listener's `/metrics`
 * serves.
 */
export function counter<L extends string>(config: SeriesConfig<CounterConfiguration<L>>, registry: Registry = defaultRegister): Counter<L> {
  return existing<Counter<L>>(registry, config.name) ?? new Counter({ ...config, registers: [registry] });
}

/** A gauge, got or created as {@link counter} explains. */
export function gauge<L extends string>(config: SeriesConfig<GaugeConfiguration<L>>, registry: Registry = defaultRegister): Gauge<L> {
  return existing<Gauge<L>>(registry, config.name) ?? new Gauge({ ...config, registers: [registry] });
}

/** A histogram, got or created as {@link counter} explains. */
export function histogram<L extends string>(
  config: SeriesConfig<HistogramConfiguration<L>>,
  registry: Registry = defaultRegister,
): Histogram<L> {
  return existing<Histogram<L>>(registry, config.name) ?? new Histogram({ ...config, registers: [registry] });
}

/** A series' declaration; the registry is the helper's argument, never part of the declaration. */
export type SeriesConfig<C> = Omit<C, 'registers'>;

function existing<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}

/** One series of a {@link declareSeries} table: its kind and its prom-client declaration. */
export type SeriesSpec =
  | ({ type: 'counter' } & SeriesConfig<CounterConfiguration<string>>)
  | ({ type: 'gauge' } & SeriesConfig<GaugeConfiguration<string>>)
  | ({ type: 'histogram' } & SeriesConfig<HistogramConfiguration<string>>);

type LabelsOf<S> = S extends { labelNames: readonly (infer L extends string)[] } ? L : never;
type SeriesOf<S> = S extends { type: 'counter' }
  ? Counter<LabelsOf<S>>
  : S extends { type: 'gauge' }
    ? Gauge<LabelsOf<S>>
    : Histogram<LabelsOf<S>>;

/** The series a {@link declareSeries} table declares, typed by each entry's kind and labels. */
export type DeclaredSeries<T extends Record<string, SeriesSpec>> = { [K in keyof T]: SeriesOf<T[K]> };

/**
 * A feature's series declared as one table, each got or created as {@link counter} explains.
 * The table is the only place a series' name, help and labels are written: the returned object's
 * type follows from it, so no interface repeats the list.
 */
export function declareSeries<const T extends Record<string, SeriesSpec>>(table: T, registry: Registry = defaultRegister): DeclaredSeries<T> {
  const declared: Record<string, Counter<string> | Gauge<string> | Histogram<string>> = {};
  for (const [key, spec] of Object.entries(table)) declared[key] = declareOne(spec, registry);
  return declared as DeclaredSeries<T>;
}

function declareOne(spec: SeriesSpec, registry: Registry): Counter<string> | Gauge<string> | Histogram<string> {
  switch (spec.type) {
    case 'counter': {
      const { type: _type, ...config } = spec;
      return counter(config, registry);
    }
    case 'gauge': {
      const { type: _type, ...config } = spec;
      return gauge(config, registry);
    }
    case 'histogram': {
      const { type: _type, ...config } = spec;
      return histogram(config, registry);
    }
  }
}
