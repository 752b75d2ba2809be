/** Seed data for the users subgraph: derived from indexes only, so every run serves the same values. */

export type Plan = 'FREE' | 'PRO' | 'ENTERPRISE';

export interface Tenant {
  id: string;
  name: string;
  plan: Plan;
}

export interface User {
  id: string;
  name: string;
  email: string;
  phone: string | null;
  tenantId: string;
  createdAt: string;
}

export const USER_COUNT = 20;

// One tenant per plan, so rate-limit and cost tiers keyed on plan each have a tenant to test with.
export const TENANTS: readonly Tenant[] = [
  { id: 't1', name: 'Acme Corp', plan: 'FREE' },
  { id: 't2', name: 'Globex', plan: 'PRO' },
  { id: 't3', name: 'Initech', plan: 'ENTERPRISE' },
];

const NAMES = [
  'Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Edsger Dijkstra', 'Barbara Liskov',
  'Donald Knuth', 'Margaret Hamilton', 'Ken Thompson', 'Frances Allen', 'Dennis Ritchie',
  'Radia Perlman', 'John McCarthy', 'Adele Goldberg', 'Tony Hoare', 'Shafi Goldwasser',
  'Leslie Lamport', 'Karen Sparck Jones', 'Niklaus Wirth', 'Sophie Wilson', 'Robin Milner',
] as const;

/** User i (1-based) belongs to tenant t((i-1)%3+1). */
export function tenantIdOf(index: number): string {
  return `t${((index - 1) % TENANTS.length) + 1}`;
}

export const USERS: readonly User[] = Array.from({ length: USER_COUNT }, (_, k) => {
  const i = k + 1;
  const padded = String(i).padStart(2, '0');
  return {
    id: `u${i}`,
    name: NAMES[k] ?? `User ${i}`,
    email: `user${i}@example.com`,
    phone: `+1-555-01${padded}`,
    tenantId: tenantIdOf(i),
    createdAt: `2024-01-${padded}T09:00:00.000Z`,
  };
});

const usersById = new Map(USERS.map((user) => [user.id, user]));
const tenantsById = new Map(TENANTS.map((tenant) => [tenant.id, tenant]));

export function findUser(id: string): User | undefined {
  return usersById.get(id) ?? benchUser(id);
}

/** The bench's many callers (bench/run.ts, scenario (e2)) are users too, beyond the seed's 20. */
export const BENCH_USER_PREFIX = 'bench-user-';
const BENCH_USER_MAX = 10_000;

/**
 * `bench-user-<i>` (1 ≤ i ≤ 10 000): a user derived from i alone, so a load run can give each
 * connection its own subject and still get an answer. Never listed by `users`: the seed's 20
 * stay the demo's data set.
 */
function benchUser(id: string): User | undefined {
  if (!id.startsWith(BENCH_USER_PREFIX)) return undefined;
  const i = Number(id.slice(BENCH_USER_PREFIX.length));
  if (!Number.isInteger(i) || i < 1 || i > BENCH_USER_MAX || id !== `${BENCH_USER_PREFIX}${i}`) return undefined;
  return { id, name: `Bench User ${i}`, email: `bench${i}@example.com`, phone: null, tenantId: tenantIdOf(i), createdAt: '2024-01-01T09:00:00.000Z' };
}

export function findTenant(id: string): Tenant | undefined {
  return tenantsById.get(id);
}
