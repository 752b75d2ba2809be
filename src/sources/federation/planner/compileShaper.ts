import {
  GraphQLList,
  GraphQLNonNull,
  isAbstractType,
  isLeafType,
  isNonNullType,
  isObjectType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLAbstractType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValueNode,
} from 'graphql';
// graphql-js's own field collection (fragments, type conditions, @skip/@include), so the shaper
// answers exactly the fields, in exactly the order, that `execute` would.
import { collectFields, collectSubfields } from 'graphql/execution/collectFields.js';
import { FIELD_ERRORS } from './executePlan.js';
import { CLIENT_TYPENAME_ALIAS, typeScopedAlias } from './normalizeOperation.js';

/**
 * Returned by a shaper that met anything but a clean answer: a null where the schema forbids
 * one, an error waiting at a field, a value its type cannot serialise, an unknown `__typename`.
 * The caller then lets graphql-js build the answer, errors and null propagation included.
 */
export const NOT_SHAPED: unique symbol = Symbol('portico.notShaped');

type Shape = (value: unknown) => unknown;
type Source = Record<string | symbol, unknown>;

/** Builds the client's `data` from a plan's merged data, or answers NOT_SHAPED. */
export interface ResponseShaper {
  /**
   * Whether this request's variables let the shaper stand in for graphql-js: every @skip/@include
   * variable a boolean (the plan was keyed on them) and every variable given to a non-null
   * argument present and not null (graphql-js would report an error there).
   */
  accepts(variables: Readonly<Record<string, unknown>>): boolean;
  shape(data: Source): unknown;
}

export interface CompileShaperOptions {
  /** The schema graphql-js would execute over: the client schema without resolvers. */
  schema: GraphQLSchema;
  operation: OperationDefinitionNode;
  fragments: Readonly<Record<string, FragmentDefinitionNode>>;
  /** Coerced variables of the request the shaper is compiled for (fields are collected with them). */
  variables: Readonly<Record<string, unknown>>;
  /** The variables @skip/@include read anywhere in the document. */
  conditions: readonly string[];
}

/**
 * A response shaper compiled once per plan, that does what `execute` over the merged data with
 * `readPlannedField` does, for the answers that have no error in them: the same fields, keys,
 * order, `__typename`s and serialised leaves, without graphql-js's per-field `info`, argument,
 * path and promise bookkeeping (under load, a third of the planner's allocations).
 *
 * It covers only the error-free case on purpose: anything else (see NOT_SHAPED) is handed back,
 * and the caller runs graphql-js over the same, untouched data, so every error message, path and
 * null propagation stays graphql-js's own. Returns undefined for an operation it does not shape
 * at all (introspection, a field whose arguments nest variables, a type with `isTypeOf`, a
 * response key `__proto__`).
 */
export function compileShaper(options: CompileShaperOptions): ResponseShaper | undefined {
  const { schema, operation, fragments, variables } = options;
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return undefined;
  const required = new Set<string>();
  const unsupported = new Error('not shaped');

  const compileObject = (type: GraphQLObjectType, fields: Map<string, readonly FieldNode[]>): Shape => {
    if (type.isTypeOf) throw unsupported;
    const keys: string[] = [];
    const reads: string[] = [];
    const scoped: string[] = [];
    const shapes: (Shape | undefined)[] = [];
    const definitions = type.getFields();
    for (const [responseKey, nodes] of fields) {
      if (responseKey === '__proto__') throw unsupported;
      const node = nodes[0]!;
      const name = node.name.value;
      keys.push(responseKey);
      if (name === '__typename') {
        // graphql-js answers the meta field from the parent type, whatever the data says.
        reads.push('');
        scoped.push('');
        shapes.push(undefined);
        continue;
      }
      const definition = definitions[name];
      if (!definition || definition.resolve) throw unsupported;
      for (const argument of node.arguments ?? []) {
        const argumentType = definition.args.find((arg) => arg.name === argument.name.value)?.type;
        if (argument.value.kind === Kind.VARIABLE) {
          if (argumentType && isNonNullType(argumentType)) required.add(argument.value.name.value);
        } else if (hasVariable(argument.value)) {
          throw unsupported;
        }
      }
      // As readPlannedField: a client field aliased `__typename` was fetched under an internal alias.
      const read = responseKey === '__typename' ? CLIENT_TYPENAME_ALIAS : responseKey;
      reads.push(read);
      scoped.push(typeScopedAlias(type.name, read));
      shapes.push(compileValue(definition.type, nodes));
    }
    const count = keys.length;
    const typeName = type.name;
    return (value) => {
      const source = value as Source;
      if (source[FIELD_ERRORS] !== undefined) return NOT_SHAPED;
      const out: Record<string, unknown> = {};
      for (let i = 0; i < count; i++) {
        const shape = shapes[i];
        if (shape === undefined) {
          out[keys[i]!] = typeName;
          continue;
        }
        let field = source[reads[i]!];
        if (field === undefined) field = source[scoped[i]!];
        const shaped = shape(field);
        if (shaped === NOT_SHAPED) return NOT_SHAPED;
        out[keys[i]!] = shaped;
      }
      return out;
    };
  };

  const compileValue = (type: GraphQLOutputType, nodes: readonly FieldNode[]): Shape => {
    if (type instanceof GraphQLNonNull) {
      const inner = compileValue(type.ofType, nodes);
      return (value) => (value === null || value === undefined ? NOT_SHAPED : inner(value));
    }
    if (type instanceof GraphQLList) {
      const item = compileValue(type.ofType, nodes);
      return (value) => {
        if (value === null || value === undefined) return null;
        if (!Array.isArray(value)) return NOT_SHAPED;
        const out = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) {
          const shaped = item(value[i]);
          if (shaped === NOT_SHAPED) return NOT_SHAPED;
          out[i] = shaped;
        }
        return out;
      };
    }
    if (isLeafType(type)) {
      return (value) => {
        if (value === null || value === undefined) return null;
        // graphql-js's completeLeafValue: a throw or a nullish result is a field error there.
        try {
          const serialised = type.serialize(value);
          return serialised === null || serialised === undefined ? NOT_SHAPED : serialised;
        } catch {
          return NOT_SHAPED;
        }
      };
    }
    if (isObjectType(type)) {
      const object = compileObject(type, collectSubfields(schema, fragments as Record<string, FragmentDefinitionNode>, variables, type, nodes));
      return (value) => {
        if (value === null || value === undefined) return null;
        if (typeof value !== 'object' || Array.isArray(value)) return NOT_SHAPED;
        return object(value);
      };
    }
    if (isAbstractType(type)) return compileAbstract(type, nodes);
    throw unsupported;
  };

  /** An abstract type's value is shaped as the object type its `__typename` names (plans always fetch it). */
  const compileAbstract = (type: GraphQLAbstractType, nodes: readonly FieldNode[]): Shape => {
    const possible = new Map(schema.getPossibleTypes(type).map((object) => [object.name, object]));
    // Compiled on first sight: an interface may have many implementations no answer ever names.
    const byName = new Map<string, Shape | null>();
    return (value) => {
      if (value === null || value === undefined) return null;
      if (typeof value !== 'object' || Array.isArray(value)) return NOT_SHAPED;
      const name = (value as Source).__typename;
      if (typeof name !== 'string') return NOT_SHAPED;
      let object = byName.get(name);
      if (object === undefined) {
        const runtime = possible.get(name);
        try {
          object = runtime ? compileObject(runtime, collectSubfields(schema, fragments as Record<string, FragmentDefinitionNode>, variables, runtime, nodes)) : null;
        } catch {
          object = null;
        }
        byName.set(name, object);
      }
      return object === null ? NOT_SHAPED : object(value);
    };
  };

  let root: Shape;
  try {
    const fields = collectFields(schema, fragments as Record<string, FragmentDefinitionNode>, variables, rootType, operation.selectionSet);
    for (const nodes of fields.values()) {
      const name = nodes[0]!.name.value;
      // Introspection is answered by graphql-js's own resolvers.
      if (name === '__schema' || name === '__type') return undefined;
    }
    root = compileObject(rootType, fields);
  } catch {
    return undefined;
  }
  const conditions = options.conditions;
  const requiredNames = [...required];
  return {
    accepts(values) {
      for (const name of conditions) if (typeof values[name] !== 'boolean') return false;
      for (const name of requiredNames) if (values[name] === null || values[name] === undefined) return false;
      return true;
    },
    shape: (data) => root(data),
  };
}

function hasVariable(value: ValueNode): boolean {
  switch (value.kind) {
    case Kind.VARIABLE:
      return true;
    case Kind.LIST:
      return value.values.some(hasVariable);
    case Kind.OBJECT:
      return value.fields.some((field) => hasVariable(field.value));
    default:
      return false;
  }
}
