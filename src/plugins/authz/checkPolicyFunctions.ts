import { valueFromASTUntyped, type ConstDirectiveNode } from 'graphql';
import { policyDefinitions, type PolicySdl } from './policyDefinitions.js';
import type { PolicyFunctions } from './evaluatePolicies.js';

/**
 * The BFF's `@policy` functions, checked against the SDLs at start-up: the policies module
 * (`policies` in bff.config.ts) must export `policies`, an object of functions, and every name a
 * `@policy` uses must be one of them. A name without a function stops start-up with the SDL (its
 * file when known), the type or field, and the module named, rather than denying every caller at
 * run time. `file` is the module's path for messages, undefined when the BFF has none.
 */
export function checkPolicyFunctions(sdls: readonly PolicySdl[], module: Readonly<Record<string, unknown>> | undefined, file: string | undefined): PolicyFunctions {
  const exported = module?.['policies'];
  if (module !== undefined && (typeof exported !== 'object' || exported === null)) {
    throw new Error(`${file}: a policies module exports \`policies\`, an object of functions by policy name`);
  }
  const functions = (exported ?? {}) as Record<string, unknown>;
  for (const [name, fn] of Object.entries(functions)) {
    if (typeof fn !== 'function') throw new Error(`${file}: policies.${name} is not a function`);
  }
  for (const { sdl, definition } of policyDefinitions(sdls)) {
    const typeName = definition.name.value;
    const where = (field?: string) => `${sdl.file ?? sdl.origin}: ${typeName}${field ? `.${field}` : ''}`;
    check(definition.directives, where(), functions, file);
    for (const field of definition.fields ?? []) check(field.directives, where(field.name.value), functions, file);
  }
  return functions as PolicyFunctions;
}

function check(directives: readonly ConstDirectiveNode[] | undefined, where: string, functions: Readonly<Record<string, unknown>>, file: string | undefined): void {
  for (const directive of directives ?? []) {
    if (directive.name.value !== 'policy') continue;
    const argument = directive.arguments?.find((arg) => arg.name.value === 'policies');
    const value = argument ? valueFromASTUntyped(argument.value) : undefined;
    const names = [value].flat(2).filter((name): name is string => typeof name === 'string');
    for (const name of names) {
      if (Object.hasOwn(functions, name)) continue;
      throw new Error(
        file === undefined
          ? `${where}: @policy names "${name}", but the BFF has no policies module (set "policies" in its bff.config.ts)`
          : `${where}: @policy names "${name}", but ${file} exports no such policy function`,
      );
    }
  }
}
