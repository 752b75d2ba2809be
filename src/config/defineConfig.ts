import type { BffConfigInput, RootConfigInput, SourcesInput } from './schema.js';
import type { Env } from './loadConfig.js';

type OrFactory<T> = T | ((env: Env) => T);

/** Typed helpers for config files: they only give editors the shape; validation is at load. */
export const defineBff = (config: OrFactory<BffConfigInput>) => config;
export const defineSources = (config: OrFactory<SourcesInput>) => config;
export const defineRoot = (config: OrFactory<RootConfigInput>) => config;
