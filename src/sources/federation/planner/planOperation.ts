import {
  Kind,
  OperationTypeNode,
  parseType,
  print,
  type ArgumentNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  type ValueNode,
  type VariableDefinitionNode,
} from 'graphql';
import {
  INTERNAL_ALIAS_PREFIX,
  typeScopedAlias,
  NotPlannable,
  Unsatisfiable,
  defaultPlanBudget,
  normalizeSelections,
  possibleTypes,
  type PlanBudget,
  type NormalField,
  type NormalSelection,
} from './normalizeOperation.js';
import type { FieldModel, SupergraphModel, TypeModel } from './supergraphModel.js';

/**
 * One subgraph request of a plan. A root fetch answers root fields; an entity fetch takes the
 * objects found at `path` (of type `typeName`) once its dependencies have run, sends their
 * representations to `_entities`, and merges what comes back into those objects.
 */
export interface FetchNode {
  id: number;
  /** The subgraph's composed name (`join__graph(name:)`): how its executor is found. */
  subgraph: string;
  kind: 'root' | 'entity';
  operationType: OperationTypeNode;
  /** Built once with the plan, so the executor's print cache hits on every request. */
  document: DocumentNode;
  /** The length of the printed document: what the plan cache weighs the plan by. */
  printedLength: number;
  operationName: string | undefined;
  /** The client variables the document uses (sent as the client gave them, coerced). */
  variableNames: readonly string[];
  /**
   * Entity fetches: where the objects this fetch completes are, each path being response keys
   * from the root. Several when the same fetch is needed at several places (merged by the plan).
   */
  paths: readonly (readonly string[])[];
  typeName: string;
  /**
   * Entity fetches: the object types collected at `paths`; absent, every object there (objects
   * of an `@interfaceObject`, whose subgraph does not know their type). `typeName` is then the
   * interface, sent as the representations' `__typename`.
   */
  collect?: readonly string[];
  /** Entity fetches: how to read an object's representation (key and `@requires` fields). */
  representation: readonly RepresentationField[];
  /** The response keys this fetch fills at its position: where its failure is reported. */
  errorKeys: readonly string[];
  /** Fetches whose data this one reads. */
  deps: readonly FetchNode[];
  /** Entity fetches of a field with `@fromContext` arguments: the variables its ancestors fill. */
  context?: readonly ContextVariable[];
}

/** A variable of a fetch whose value is read, per object, from one of its ancestors. */
export interface ContextVariable {
  name: string;
  /** How many response keys from the root the ancestor is (0: the root). */
  depth: number;
  /** The ancestor's type, which sets the context. */
  ancestorType: string;
  /**
   * What the context selection reads on the ancestor, each top-level field under the internal
   * alias it was fetched with. One field gives its value, unwrapped down a chain of single-field
   * selections (`{ currency { code } }` gives the code); several give an object of them (an
   * input object argument).
   */
  reads: readonly ContextRead[];
}

/** One field of a context selection: where it is in the ancestor's data, and what is read below it. */
export interface ContextRead {
  name: string;
  /** The response key on the ancestor (an internal alias at the top, the field's name below). */
  from: string;
  selections?: readonly ContextRead[];
}

export interface RepresentationField {
  /** The field's name in the representation. */
  name: string;
  /** Where the value is in the merged data: an internal alias at the top, the name below. */
  from: string;
  /** A key field at the top: null there means the object could not be identified (never sent). */
  key?: true;
  /** Under a fragment (`... on WorkAddress { id }`): sent only for objects of these types. */
  on?: readonly string[];
  selections?: readonly RepresentationField[];
}

/**
 * Fetches grouped in steps run one after the other: a query has one step; a mutation has one
 * per run of consecutive root fields on the same subgraph, because mutation fields run in order.
 * Each step lists every fetch it runs, root and entity ones, dependencies before dependents.
 */
export interface QueryPlan {
  steps: readonly (readonly FetchNode[])[];
}

export interface PlanInput {
  model: SupergraphModel;
  operation: OperationDefinitionNode;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  /** Coerced variable values; only those deciding `@skip`/`@include` shape the plan. */
  variables: Readonly<Record<string, unknown>>;
  /** Beyond it, planning stops with PlanTooLarge. @default defaultPlanBudget */
  budget?: Readonly<PlanBudget>;
}

interface Draft {
  id: number;
  graph: string;
  kind: 'root' | 'entity';
  step: number;
  paths: (readonly string[])[];
  typeName: string;
  collect: Set<string> | undefined;
  selections: SelectionNode[];
  variables: Set<string>;
  deps: Draft[];
  /** Fetches that, with every fetch below them, must be done first (the `@requires` data). */
  waitForTrees: Draft[];
  representation: RepresentationField[];
  errorKeys: string[];
  context?: { variable: ContextVariable; definition: VariableDefinitionNode }[];
}

interface Position {
  draft: Draft;
  graph: string;
  path: readonly string[];
  /** What `@provides` says the current graph returns at this position, if anything. */
  provided: SelectionSetNode | undefined;
  /** At the top of an entity fetch: the `@requires` fields whose requirements it sends. */
  requirementsSent?: ReadonlySet<string>;
  /** The objects here are known to be of one object type (an @interfaceObject fetch for an object's fields). */
  typeKnown?: boolean;
  /**
   * Set inside a fragment on one object type of an abstract position: the object type. A field
   * whose type differs there from the supergraph's travels under a per-type alias, since another
   * type's fragment may select the same response key with another type (`ID!` and `ID`), which
   * the subgraph would refuse as a conflict.
   */
  fragmentOn?: string;
  /** The ancestors here (nearest last) whose type sets a `@fromContext` context. */
  frames?: readonly ContextFrame[];
}

/** An ancestor object setting contexts: where a descendant's `@fromContext` value is fetched. */
interface ContextFrame {
  type: TypeModel;
  graph: string;
  path: readonly string[];
  provided: SelectionSetNode | undefined;
  out: Output;
}

/** Fields bound for one other subgraph from one position, sent there as one `_entities` fetch. */
interface Jump {
  target: string;
  /** The type named in `_entities`: the object's, or an interface that is an @interfaceObject in `target`. */
  entity: string;
  key: SelectionSetNode;
  /** The `@requires` sets of its fields; the first `requiresPlanned` have been planned. */
  requires: SelectionSetNode[];
  requiresPlanned: number;
  fields: NormalField[];
  /** Jumps at the same position whose data this one's `@requires` fields come from. */
  after: Set<Jump>;
  /** Fetches made for its `@requires` fields below this position: their data is in the representation too. */
  waitForTrees: Draft[];
  draft?: Draft;
}

/**
 * Plans an operation over a supergraph: which subgraph answers each field, and how the planner
 * moves between subgraphs (`_entities` with a key the current subgraph can give). Fields stay in
 * the subgraph that already holds their parent whenever it can resolve them (including what
 * `@provides` hands it), so a nested query costs one fetch per subgraph hop, not per field.
 *
 * Throws NotPlannable for what it leaves to stitching (entity interfaces, `@interfaceObject`,
 * introspection, fragments on abstract types inside abstract types, …). `@defer`/`@stream` never
 * reach it: src/plugins/incremental/ splits such an operation into ordinary ones first.
 */
export function planOperation(input: PlanInput): QueryPlan {
  const { model, operation } = input;
  if (model.unsupported) throw new NotPlannable(model.unsupported);
  const variableDefinitions = new Map<string, VariableDefinitionNode>(
    (operation.variableDefinitions ?? []).map((definition) => [definition.variable.name.value, definition]),
  );
  if (variableDefinitions.has(REPRESENTATIONS)) throw new NotPlannable(`a client variable named $${REPRESENTATIONS}`);

  const rootType = model.roots[operation.operation];
  const meter = { budget: input.budget ?? defaultPlanBudget, fields: 0 };
  const rootFields = normalizeSelections(model, input.fragments, input.variables, rootType, operation.selectionSet, meter);
  const drafts: Draft[] = [];
  const newDraft = (draft: Omit<Draft, 'id' | 'selections' | 'variables' | 'waitForTrees'>): Draft => {
    const created: Draft = { ...draft, id: drafts.length, selections: [], variables: new Set(), waitForTrees: [] };
    drafts.push(created);
    return created;
  };
  const query = model.types.get(rootType);
  if (!query) throw new NotPlannable(`no ${rootType} type`);

  const plan = (type: string, selections: NormalSelection[], position: Position): SelectionNode[] => {
    const model_ = model.types.get(type);
    if (!model_) throw new NotPlannable(`type ${type} is not in the supergraph`);
    if (model_.kind === 'object') return planObject(model_, selections, position);
    return model_.interfaceObjectIn.has(position.graph) ? planInterfaceObject(model_, selections, position) : planAbstract(model_, selections, position);
  };

  /** A field the current graph resolves: written into the current fetch, its selection planned below it. */
  const local = (field: NormalField, model_: FieldModel, position: Position, out: Output): void => {
    collectVariables(field.node.arguments, position.draft.variables);
    const alias =
      position.fragmentOn !== undefined && model_.retypedIn.has(position.graph) ? typeScopedAlias(position.fragmentOn, field.responseKey) : undefined;
    const responseKey = alias ?? field.responseKey;
    let selectionSet: SelectionSetNode | undefined;
    if (field.selections) {
      const provided = model_.provides.get(position.graph) ?? providedChild(position.provided, field.name);
      const child: Position = { draft: position.draft, graph: position.graph, path: [...position.path, responseKey], provided, ...framesOf(position) };
      // Typed by an implementing object in this graph (the supergraph has the interface): the
      // selection is planned on that object, which is all this graph can return there.
      const objectHere = model_.typeIn.get(position.graph);
      selectionSet = {
        kind: Kind.SELECTION_SET,
        selections:
          objectHere !== undefined && model.types.get(objectHere)?.kind === 'object'
            ? plan(objectHere, [typenameField, ...narrowTo(objectHere, field.selections)], child)
            : plan(model_.type, field.selections, child),
      };
    }
    const node = withSelections(field.node, selectionSet);
    out.add(alias ? { ...node, alias: { kind: Kind.NAME, value: alias } } : node);
  };

  /** Set while `completes` tries a subgraph: no field is split there, it completes or not. */
  let trying = false;
  /** Whether the graph of `position` plans `field` and all below it, without splitting a field. */
  const completes = (field: NormalField, model_: FieldModel, position: Position): boolean => {
    const mark = drafts.length;
    trying = true;
    try {
      local(field, model_, position, new Output());
      return true;
    } catch (error) {
      if (error instanceof Unsatisfiable || error instanceof NotPlannable) return false;
      throw error;
    } finally {
      trying = false;
      drafts.length = mark;
    }
  };

  const planObject = (type: TypeModel, selections: NormalSelection[], at: Position): SelectionNode[] => {
    const out = new Output();
    const jumps = new Map<string, Jump>();
    const position: Position = type.contexts?.size
      ? { ...at, frames: [...(at.frames ?? []), { type, graph: at.graph, path: at.path, provided: at.provided, out }] }
      : at;

    /** `avoid`: the jump whose @requires this field serves, which cannot also fetch it. */
    const place = (field: NormalField, avoid?: Jump): Jump | undefined => {
      if (field.name === '__typename') {
        // Stripped of its @skip/@include like any planned field: its variable is not declared here.
        out.add(withSelections(field.node, undefined));
        return undefined;
      }
      const model_ = fieldOf(type, field.name);
      if (model_.contextArguments && !(isLocal(model_, field.name, position) && !model_.contextArguments.has(position.graph))) {
        contextual(type, field, model_, position, out);
        return undefined;
      }
      let accept: ((graph: string) => boolean) | undefined;
      let unsatisfiable: Unsatisfiable | undefined;
      if (isLocal(model_, field.name, position)) {
        const mark = drafts.length;
        try {
          local(field, model_, position, out);
          return undefined;
        } catch (error) {
          if (!(error instanceof Unsatisfiable) || !field.selections || model_.resolvableIn.size < 2 || trying || type.keys.size === 0) throw error;
          drafts.length = mark;
          unsatisfiable = error;
        }
        // A shareable field whose selection this graph cannot complete (`category { id details }`,
        // `details` only in a subgraph that has Category as a value type under Product): what this
        // graph can give stays here, the rest goes to another subgraph resolving the field, through
        // a key of this type; the two answers merge under the one response key.
        const elsewhere = field.selections.filter((selection) => {
          const trial = drafts.length;
          try {
            local({ ...field, selections: [selection] }, model_, position, new Output());
            return false;
          } catch (error) {
            if (error instanceof Unsatisfiable) return true;
            throw error;
          } finally {
            drafts.length = trial;
          }
        });
        const here = field.selections.filter((selection) => !elsewhere.includes(selection));
        if (here.length > 0) local({ ...field, selections: here }, model_, position, out);
        const rest: NormalField = { ...field, selections: elsewhere };
        field = rest;
        // Only a subgraph that completes the rest by itself, or two shareable copies would hand it
        // back and forth.
        accept = (graph) => graph !== position.graph && completes(rest, model_, { ...position, graph, provided: undefined });
      }
      let choice: ReturnType<typeof chooseTarget>;
      try {
        choice = chooseTarget(type, field.name, model_, position, jumps, accept);
      } catch (error) {
        // The split found no subgraph for the rest: the field is as unsatisfiable as it was.
        if (unsatisfiable && error instanceof NotPlannable) throw unsatisfiable;
        throw error;
      }
      const selections = field.selections;
      if (!accept && !trying && selections && selections.length > 1 && !completes(field, model_, { ...position, graph: choice.target, provided: undefined })) {
        // No one subgraph completes the selection (`category { id name details }`: `details`
        // only where Category is a value type, `id` elsewhere): each part goes to a subgraph that
        // completes it, through a key from here; the answers merge under the one response key.
        const parts = new Map<string, { choice: typeof choice; selections: NormalSelection[] }>();
        for (const selection of selections) {
          const part: NormalField = { ...field, selections: [selection] };
          let to: typeof choice;
          try {
            to = chooseTarget(type, field.name, model_, position, jumps, (graph) => completes(part, model_, { ...position, graph, provided: undefined }));
          } catch (error) {
            // A part no subgraph completes alone: planned as before, the whole field to one target.
            if (error instanceof NotPlannable || error instanceof Unsatisfiable) return join(field, choice, avoid);
            throw error;
          }
          const entry = parts.get(to.target) ?? { choice: to, selections: [] };
          entry.selections.push(selection);
          parts.set(to.target, entry);
        }
        let first: Jump | undefined;
        for (const part of parts.values()) {
          const jump = join({ ...field, selections: part.selections }, part.choice, avoid);
          first ??= jump;
        }
        return first;
      }
      return join(field, choice, avoid);
    };

    /** Puts `field` in the jump (one entity fetch) to `choice`'s subgraph at this position. */
    const join = (field: NormalField, { target, key, entity }: { target: string; key: SelectionSetNode; entity: string }, avoid: Jump | undefined): Jump => {
      // One fetch per target subgraph and position: fields with @requires share it with the
      // others (which then wait for the required data too: one request instead of two).
      const requires = requiresOf(type, field.name, entity, target);
      let slot = `${target}|${entity}`;
      let jump = jumps.get(slot);
      for (let other = 1; jump && (jump === avoid || (requires && requiresConflict(jump.requires, requires))); other++) jump = jumps.get((slot = `${target}|${entity}#${other}`));
      if (!jump) jumps.set(slot, (jump = { target, entity, key, requires: [], requiresPlanned: 0, fields: [], after: new Set(), waitForTrees: [] }));
      if (requires) jump.requires.push(requires);
      jump.fields.push(field);
      return jump;
    };

    for (const selection of selections) {
      if (selection.kind !== 'field') throw new NotPlannable(`fragment inside object type ${type.name}`);
      place(selection);
    }
    // @requires fields are planned at this position like client fields: from here when this
    // graph has them, through further jumps (which the requiring fetch then waits for) otherwise.
    for (let pending = unplannedRequires(jumps); pending; pending = unplannedRequires(jumps)) {
      const requires = pending.requires[pending.requiresPlanned++]!;
      for (const field of topFields(model, type, requires)) {
        const created = drafts.length;
        // A required field the requiring subgraph gives itself (`author`, whose `yearsOfExperience`
        // another subgraph gives) goes in an earlier fetch to that subgraph.
        const landed = place(field, pending);
        if (landed === pending) throw new NotPlannable(`${type.name}: a @requires field needs ${pending.target} itself`);
        if (landed) pending.after.add(landed);
        // A required field held here whose own selection needed fetches further down.
        pending.waitForTrees.push(...drafts.slice(created));
      }
    }
    if (jumps.size === 0) return out.selections;

    // The objects here must say their type (collection filters on it) and carry every key.
    out.addOnce('__typename', typenameNode);
    // (Jumps added here, for key fields another subgraph gives, are visited by this loop too.)
    for (const jump of jumps.values()) {
      for (const field of topFields(model, type, jump.key)) {
        // A key field this graph lacks comes from a subgraph one key away (chooseTarget checked
        // there is one): the fetch to the target waits for it, like for a `@requires` field.
        const created = drafts.length;
        const landed = place(field);
        if (landed === jump) throw new NotPlannable(`${type.name}: a key field of ${jump.target} is only in ${jump.target}`);
        if (landed) jump.after.add(landed);
        // A key field held here whose own key fields needed fetches further down.
        jump.waitForTrees.push(...drafts.slice(created));
      }
      jump.draft = newDraft({
        graph: jump.target,
        kind: 'entity',
        step: position.draft.step,
        paths: [position.path],
        typeName: jump.entity,
        collect: new Set([type.name]),
        deps: [position.draft],
        representation: representationOf(model, jump.key, jump.requires),
        errorKeys: jump.fields.map((field) => field.responseKey),
      });
    }
    for (const jump of jumps.values()) {
      const draft = jump.draft!;
      for (const before of jump.after) {
        draft.deps.push(before.draft!);
        draft.waitForTrees.push(before.draft!);
      }
      draft.waitForTrees.push(...jump.waitForTrees);
      const requirementsSent = new Set(jump.fields.filter((f) => requiresOf(type, f.name, jump.entity, jump.target)).map((f) => f.name));
      draft.selections = plan(jump.entity, jump.fields, {
        draft,
        graph: jump.target,
        path: position.path,
        provided: undefined,
        requirementsSent,
        typeKnown: true,
        ...framesOf(position),
      });
    }
    return out.selections;
  };

  /** Writes `key` into the current fetch and opens an entity fetch of `type` to `target` that reads it. */
  const keyedFetch = (
    type: TypeModel,
    key: SelectionSetNode,
    target: string,
    position: Position,
    out: Output,
    collect: Set<string> | undefined,
    errorKeys: string[],
  ): Draft => {
    for (const keyField of topFields(model, type, key)) local(keyField, fieldOf(type, keyField.name), position, out);
    return newDraft({
      graph: target,
      kind: 'entity',
      step: position.draft.step,
      paths: [position.path],
      typeName: type.name,
      collect,
      deps: [position.draft],
      representation: representationOf(model, key, []),
      errorKeys,
    });
  };

  /**
   * A field with `@fromContext` arguments: its own entity fetch, whose variables the executor
   * fills per object from the nearest ancestor setting each context (one request per distinct
   * set of values). The value is fetched on the ancestor, under an internal alias.
   */
  const contextual = (type: TypeModel, field: NormalField, model_: FieldModel, position: Position, out: Output): void => {
    let target: string | undefined;
    let key: SelectionSetNode | undefined;
    for (const graph of model_.resolvableIn) {
      key = type.keys.get(graph)?.find((candidate) => isAvailable(type, candidate, position.graph, position.provided));
      if (key) {
        target = graph;
        break;
      }
    }
    if (!target || !key) throw new NotPlannable(`${type.name}.${field.name} takes @fromContext arguments, and no key of ${type.name} leads from ${position.graph} to it`);
    const context: { variable: ContextVariable; definition: VariableDefinitionNode }[] = [];
    const args: ArgumentNode[] = [...(field.node.arguments ?? [])];
    for (const argument of model_.contextArguments?.get(target) ?? []) {
      const frame = [...(position.frames ?? [])].reverse().find((candidate) => candidate.type.contexts?.has(argument.context));
      if (!frame) throw new NotPlannable(`${type.name}.${field.name}: @fromContext ${argument.name} has no ancestor setting its context`);
      const selections = contextSelectionOn(frame.type, argument.selection);
      if (!selections || !isAvailable(frame.type, { kind: Kind.SELECTION_SET, selections }, frame.graph, frame.provided)) {
        throw new NotPlannable(`${type.name}.${field.name}: @fromContext ${argument.name} reads what ${frame.graph} does not give on ${frame.type.name}`);
      }
      frame.out.addOnce('__typename', typenameNode);
      const reads = selections.map((read): ContextRead => {
        // The digest keeps two contexts reading one field with different selections apart.
        const alias = `${INTERNAL_ALIAS_PREFIX}ctx_${read.name.value}${read.selectionSet ? `_${digest(print(read.selectionSet))}` : ''}`;
        frame.out.addOnce(alias, { ...read, alias: { kind: Kind.NAME, value: alias } });
        return { name: read.name.value, from: alias, ...(read.selectionSet ? { selections: contextReads(read.selectionSet) } : {}) };
      });
      const name = `${INTERNAL_ALIAS_PREFIX}ctx${contextVariables++}`;
      context.push({
        variable: { name, depth: frame.path.length, ancestorType: frame.type.name, reads },
        definition: { kind: Kind.VARIABLE_DEFINITION, variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: name } }, type: parseType(argument.type, { noLocation: true }) },
      });
      args.push({ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: argument.name }, value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: name } } });
    }
    out.addOnce('__typename', typenameNode);
    const draft = keyedFetch(type, key, target, position, out, new Set([type.name]), [field.responseKey]);
    draft.context = context;
    const inner = new Output();
    local({ ...field, node: { ...field.node, arguments: args } }, model_, { draft, graph: target, path: position.path, provided: undefined, typeKnown: true, ...framesOf(position) }, inner);
    draft.selections = inner.selections;
  };
  let contextVariables = 0;

  /**
   * The `@requires` of a field in `target`, asked of `entity` there: the object's own field's, or,
   * for a field an @interfaceObject adds to every implementation, the interface's field's.
   */
  const requiresOf = (type: TypeModel, fieldName: string, entity: string, target: string): SelectionSetNode | undefined => {
    const owner = entity === type.name ? type : model.types.get(entity);
    return owner ? fieldOf(owner, fieldName).requires.get(target) : undefined;
  };

  const planAbstract = (type: TypeModel, selections: NormalSelection[], position: Position): SelectionNode[] => {
    const out = new Output();
    // The projection resolves the runtime type from it.
    out.addOnce('__typename', typenameNode);
    const possibleHere = [...(type.possibleIn.get(position.graph) ?? [])].filter((name) => model.types.get(name)?.kind === 'object');
    // Per object type, what the client selects on it: its fragments, and the interface's fields
    // this graph cannot answer for every type it can return (an @override moved one type's
    // field elsewhere, or the field lives elsewhere): those are planned per type.
    const perType = new Map<string, NormalSelection[]>();
    const onType = (typeName: string) => {
      let list = perType.get(typeName);
      if (!list) perType.set(typeName, (list = []));
      return list;
    };
    for (const selection of selections) {
      if (selection.kind === 'field') {
        if (selection.name === '__typename') {
          out.add(withSelections(selection.node, undefined));
          continue;
        }
        const model_ = fieldOf(type, selection.name);
        const localForAll =
          !model_.contextArguments &&
          isLocal(model_, selection.name, position) &&
          possibleHere.every((name) => {
            const objectField = model.types.get(name)?.fields.get(selection.name);
            return objectField === undefined || (!objectField.contextArguments && isLocalIn(objectField, selection.name, position.graph, undefined));
          });
        if (localForAll) {
          local(selection, model_, position, out);
          continue;
        }
        // No object type of it exists here: this graph can only answer null (or fail) at this
        // position, so a field it cannot give is never needed; its __typename is asked alone.
        // Unless no route leads from here to a subgraph giving the field at all: then the
        // operation is refused like any unsatisfiable one (Apollo's planner finds no plan).
        if (possibleHere.length === 0) {
          if (!mayReach(type, model_, position)) throw new Unsatisfiable(`${type.name}.${selection.name}`);
          continue;
        }
        for (const name of possibleHere) onType(name).push(selection);
        continue;
      }
      // A subgraph only returns types possible there; a fragment on another type would make it
      // refuse the whole query, and could never match anyway.
      if (!type.possibleIn.get(position.graph)?.has(selection.typeName)) continue;
      onType(selection.typeName).push(...selection.selections);
    }
    for (const [typeName, typeSelections] of perType) {
      const provided = providedOn(position.provided, model.types.get(typeName));
      const inner = plan(typeName, typeSelections, { draft: position.draft, graph: position.graph, path: position.path, provided, fragmentOn: typeName, ...framesOf(position) });
      out.add({
        kind: Kind.INLINE_FRAGMENT,
        typeCondition: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: typeName } },
        selectionSet: { kind: Kind.SELECTION_SET, selections: inner },
      });
    }
    return out.selections;
  };

  /**
   * An interface in a graph where it is an `@interfaceObject`: the graph answers its own fields
   * but not the objects' types (its `__typename` is the interface's). The type, and everything
   * only the implementations know, come from a graph where the interface is an entity: one
   * `_entities` fetch with the interface as `__typename`, which then plans on as usual.
   */
  const planInterfaceObject = (type: TypeModel, selections: NormalSelection[], position: Position): SelectionNode[] => {
    const out = new Output();
    const rest: NormalSelection[] = position.typeKnown ? [] : [typenameField];
    // A field another `@interfaceObject` subgraph adds to every implementation is asked of it
    // directly, with the interface as `__typename`: no object's type is needed for it, so no
    // detour through the entity-interface subgraph (whose own implementations may answer a
    // shareable field differently).
    const siblings = new Map<string, { key: SelectionSetNode; fields: NormalField[] }>();
    for (const selection of selections) {
      if (selection.kind === 'field' && selection.name !== '__typename') {
        const field = fieldOf(type, selection.name);
        if (isLocal(field, selection.name, position)) {
          local(selection, field, position, out);
          continue;
        }
        const sibling = field.contextArguments || field.requires.size > 0 ? undefined : interfaceObjectSibling(type, field, position);
        if (sibling) {
          const group = siblings.get(sibling.graph);
          if (group) group.fields.push(selection);
          else siblings.set(sibling.graph, { key: sibling.key, fields: [selection] });
          continue;
        }
      }
      rest.push(selection);
    }
    // (No `__typename` here: this graph's is the interface's, and the object's real one, from
    // the entity-interface subgraph, must not find it already set.)
    for (const [graph, { key, fields }] of siblings) {
      const draft = keyedFetch(type, key, graph, position, out, undefined, fields.map((field) => field.responseKey));
      draft.selections = plan(type.name, fields, { draft, graph, path: position.path, provided: undefined, typeKnown: true, ...framesOf(position) });
    }
    if (rest.length === 0) return out.selections;
    let target: string | undefined;
    let key: SelectionSetNode | undefined;
    for (const [graph, keys] of type.keys) {
      if (type.interfaceObjectIn.has(graph)) continue;
      key = keys.find((candidate) => isAvailable(type, candidate, position.graph, position.provided));
      if (key) {
        target = graph;
        break;
      }
    }
    if (!target || !key) throw new NotPlannable(`no subgraph has ${type.name} as an entity interface to find its types`);
    const errorKeys = rest.flatMap((selection) =>
      selection.kind === 'field' ? [selection.responseKey] : selection.selections.flatMap((inner) => (inner.kind === 'field' ? [inner.responseKey] : [])),
    );
    const draft = keyedFetch(type, key, target, position, out, undefined, errorKeys);
    draft.selections = plan(type.name, rest, { draft, graph: target, path: position.path, provided: undefined, ...framesOf(position) });
    return out.selections;
  };

  /** Another graph where `type` is an `@interfaceObject` resolving `field`, with a key this position gives. */
  const interfaceObjectSibling = (type: TypeModel, field: FieldModel, position: Position): { graph: string; key: SelectionSetNode } | undefined => {
    for (const graph of field.resolvableIn) {
      if (graph === position.graph || !type.interfaceObjectIn.has(graph)) continue;
      const key = type.keys.get(graph)?.find((candidate) => isAvailable(type, candidate, position.graph, position.provided));
      if (key) return { graph, key };
    }
    return undefined;
  };

  const chooseTarget = (
    type: TypeModel,
    fieldName: string,
    field: FieldModel,
    position: Position,
    jumps: ReadonlyMap<string, Jump>,
    accept?: (graph: string) => boolean,
  ): { target: string; key: SelectionSetNode; entity: string } => {
    const already = new Set([...jumps.values()].map((jump) => jump.target));
    const candidates = [...field.resolvableIn].filter((graph) => !accept || accept(graph)).sort((a, b) => Number(already.has(b)) - Number(already.has(a)));
    for (const target of candidates) {
      const key = type.keys.get(target)?.find((candidate) => isAvailable(type, candidate, position.graph, position.provided));
      if (key) return { target, key, entity: type.name };
    }
    // A field an @interfaceObject adds to every implementation: asked of the interface there,
    // with a key of the interface this graph can give for the object.
    for (const name of type.interfaces) {
      const iface = model.types.get(name);
      if (!iface) continue;
      for (const target of iface.interfaceObjectIn) {
        if (!iface.fields.get(fieldName)?.resolvableIn.has(target)) continue;
        const key = iface.keys.get(target)?.find((candidate) => isAvailable(type, candidate, position.graph, position.provided));
        if (key) return { target, key, entity: iface.name };
      }
    }
    // Two hops: a key of the target whose fields this graph lacks, each given by a subgraph one
    // of this graph's keys leads to (`upc` here, `id` from a subgraph keyed by both).
    // A key field below one this graph gives (`products { id pid }`) may come one key away too.
    const oneHop = (on: TypeModel, selection: SelectionNode, provided: SelectionSetNode | undefined): boolean => {
      if (selection.kind !== Kind.FIELD) return false;
      const name = selection.name.value;
      if (name === '__typename') return true;
      const keyField = on.fields.get(name);
      if (!keyField) return false;
      if (isLocalIn(keyField, name, position.graph, provided)) {
        if (!selection.selectionSet) return true;
        const child = model.types.get(keyField.type);
        return child?.kind === 'object' && selection.selectionSet.selections.every((inner) => oneHop(child, inner, providedChild(provided, name)));
      }
      if (selection.selectionSet) return false;
      return [...keyField.resolvableIn].some((graph) => !keyField.requires.has(graph) && on.keys.get(graph)?.some((candidate) => isAvailable(on, candidate, position.graph, provided)));
    };
    for (const target of candidates) {
      const key = type.keys.get(target)?.find((candidate) => candidate.selections.every((selection) => oneHop(type, selection, position.provided)));
      if (key) return { target, key, entity: type.name };
    }
    if (!mayReach(type, field, position)) throw new Unsatisfiable(`${type.name}.${fieldName}`);
    throw new NotPlannable(`no key of ${type.name} leads from ${position.graph} to a subgraph resolving ${fieldName}`);
  };

  /**
   * Whether any route could lead from the current graph to one resolving `field`: the graphs
   * reachable through keys, each key's fields obtainable from a graph already reached (or
   * provided here), hop after hop. Generous on purpose (nested key fields and `@requires` are not
   * checked), so `false` proves the field unsatisfiable rather than beyond this planner.
   */
  const mayReach = (type: TypeModel, field: FieldModel, position: Position): boolean => {
    // Entity interfaces and @interfaceObjects offer routes the key walk below does not follow.
    if (type.interfaces.some((name) => { const iface = model.types.get(name); return iface !== undefined && (iface.keys.size > 0 || iface.interfaceObjectIn.size > 0); })) return true;
    const reached = new Set([position.graph]);
    const obtainable = (name: string): boolean => {
      const keyField = type.fields.get(name);
      return keyField !== undefined && ([...keyField.resolvableIn].some((graph) => reached.has(graph)) || isProvided(position.provided, name));
    };
    for (let grew = true; grew; ) {
      grew = false;
      for (const [graph, keys] of type.keys) {
        if (reached.has(graph)) continue;
        if (!keys.some((key) => key.selections.every((selection) => selection.kind === Kind.FIELD && (selection.name.value === '__typename' || obtainable(selection.name.value))))) continue;
        reached.add(graph);
        grew = true;
      }
    }
    return [...field.resolvableIn].some((graph) => reached.has(graph));
  };

  const isAvailable = (type: TypeModel, set: SelectionSetNode, graph: string, provided: SelectionSetNode | undefined): boolean =>
    set.selections.every((selection) => {
      if (selection.kind !== Kind.FIELD) return false;
      if (selection.name.value === '__typename') return true;
      const field = type.fields.get(selection.name.value);
      if (!field || !isLocalIn(field, selection.name.value, graph, provided)) return false;
      if (!selection.selectionSet) return true;
      const child = model.types.get(field.type);
      return child !== undefined && isAvailable(child, selection.selectionSet, graph, providedChild(provided, selection.name.value));
    });

  const isLocal = (field: FieldModel, name: string, position: Position) =>
    position.requirementsSent?.has(name) === true || isLocalIn(field, name, position.graph, position.provided);

  // Root fields go to a subgraph that resolves them, preferring one already chosen so a query
  // sends one request per subgraph; mutation fields keep their order across subgraphs. A query
  // field several subgraphs resolve goes to the one where its selection is planned with the
  // fewest requests (a new root request counting as one): a shareable `node` may only lead on to
  // some types' fields from one of them, and a `@provides` may save every entity fetch below.
  const requestsIn = (field: NormalField, graph: string, chosen: boolean): number | Unsatisfiable | undefined => {
    const mark = drafts.length;
    const trial = newDraft({ graph, kind: 'root', step: 0, paths: [], typeName: rootType, collect: undefined, deps: [], representation: [], errorKeys: [] });
    try {
      plan(rootType, [field], { draft: trial, graph, path: [], provided: undefined });
      // Equal requests: the plan whose later fetches ask for fewer fields (a `@provides` used,
      // only the one type's field fetched from elsewhere), as a fraction below one request.
      const later = drafts.slice(mark + 1).reduce((sum, draft) => sum + fieldCount(draft.selections), 0);
      return drafts.length - mark - 1 + (chosen ? 0 : 1) + Math.min(later, 999_999) / 1_000_000;
    } catch (error) {
      if (error instanceof Unsatisfiable) return error;
      if (error instanceof NotPlannable) return undefined;
      throw error;
    } finally {
      drafts.length = mark;
    }
  };
  const runs: { graph: string; fields: NormalField[] }[] = [];
  const addToRun = (graph: string, field: NormalField): void => {
    const existing = runs.find((run) => run.graph === graph);
    if (existing) existing.fields.push(field);
    else runs.push({ graph, fields: [field] });
  };
  /**
   * A shareable query field whose selection no one subgraph can give, where its type has no key
   * to jump on (a value type each subgraph fills in part: `product { name }` from one, `product {
   * price }` from another): each selected field goes, under the same root field, to a subgraph
   * that can give it there (the fewest requests, counting the parts already placed), and the
   * answers merge by response key and list index, as Apollo's planner splits it. Undefined when
   * some selected field is in none of them.
   */
  const splitAcross = (field: NormalField, order: readonly string[], chosen: readonly string[]): Map<string, NormalField> | undefined => {
    const groups = new Map<string, NormalSelection[]>();
    for (const selection of field.selections ?? []) {
      let best: string | undefined;
      let fewest = Infinity;
      for (const candidate of order) {
        const requests = requestsIn({ ...field, selections: [selection] }, candidate, groups.has(candidate) || chosen.includes(candidate));
        if (typeof requests === 'number' && requests < fewest) [best, fewest] = [candidate, requests];
      }
      if (best === undefined) return undefined;
      const group = groups.get(best);
      if (group) group.push(selection);
      else groups.set(best, [selection]);
    }
    return new Map([...groups].map(([graph, selections]) => [graph, { ...field, selections }]));
  };
  for (const selection of rootFields) {
    if (selection.kind !== 'field') throw new NotPlannable('fragment at the root');
    // The projection answers a root __typename itself.
    if (selection.name === '__typename') continue;
    const field = fieldOf(query, selection.name);
    const candidates = [...field.resolvableIn];
    if (candidates.length === 0) throw new NotPlannable(`${rootType}.${selection.name} has no subgraph`);
    if (operation.operation === OperationTypeNode.MUTATION) {
      const last = runs.at(-1);
      if (last && field.resolvableIn.has(last.graph)) last.fields.push(selection);
      else runs.push({ graph: candidates[0]!, fields: [selection] });
    } else {
      const chosen = runs.map((run) => run.graph).filter((graph) => field.resolvableIn.has(graph));
      const order = [...new Set([...chosen, ...candidates])];
      let graph = order[0]!;
      if (order.length > 1 && selection.selections) {
        let fewest = Infinity;
        const unsatisfiable = new Map<string, Unsatisfiable>();
        for (const candidate of order) {
          const requests = requestsIn(selection, candidate, chosen.includes(candidate));
          if (requests instanceof Unsatisfiable) unsatisfiable.set(candidate, requests);
          else if (requests !== undefined && requests < fewest) [graph, fewest] = [candidate, requests];
        }
        // No subgraph can give the whole selection: split it (a value type several subgraphs
        // fill in part), or refuse the operation rather than hand it to stitching.
        if (unsatisfiable.size === order.length) {
          const parts = splitAcross(selection, order, chosen);
          if (!parts) throw unsatisfiable.get(order[0]!)!;
          for (const [part, fields] of parts) addToRun(part, fields);
          continue;
        }
        // None planned, but some only hit a planner limit: the fallback names one of those.
        if (fewest === Infinity) graph = order.find((candidate) => !unsatisfiable.has(candidate)) ?? graph;
      }
      addToRun(graph, selection);
    }
  }

  // A subscription's one root field is the stream: its fetch is the plan's first step, answered
  // by each event (executePlan's `answered`), and every entity fetch below runs per event.
  if (operation.operation === OperationTypeNode.SUBSCRIPTION && (runs.length !== 1 || runs[0]!.fields.length !== 1)) {
    throw new NotPlannable('subscription without exactly one root field');
  }
  const roots = runs.map((run, index) => ({
    run,
    draft: newDraft({
      graph: run.graph,
      kind: 'root',
      step: operation.operation === OperationTypeNode.MUTATION ? index : 0,
      paths: [],
      typeName: rootType,
      collect: undefined,
      deps: [],
      representation: [],
      errorKeys: run.fields.map((field) => field.responseKey),
    }),
  }));
  for (const { run, draft } of roots) {
    draft.selections = plan(rootType, run.fields, { draft, graph: run.graph, path: [], provided: undefined });
  }
  return toPlan(drafts, model, operation, variableDefinitions);
}

/**
 * A context selection as it applies on the ancestor's type: fragments on that type (or on an
 * interface it implements) inlined, others dropped. Undefined when what is left is not plain
 * fields without arguments or directives (nothing the planner can read back per object).
 */
function contextSelectionOn(type: TypeModel, selectionSet: SelectionSetNode): FieldNode[] | undefined {
  const fields: FieldNode[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (!plainFieldSet(selection)) return undefined;
      fields.push(selection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const on = selection.typeCondition?.name.value;
      if (on !== undefined && on !== type.name && !type.interfaces.includes(on)) continue;
      const inner = contextSelectionOn(type, selection.selectionSet);
      if (!inner) return undefined;
      fields.push(...inner);
    } else return undefined;
  }
  return fields.length > 0 ? fields : undefined;
}

function plainFieldSet(field: FieldNode): boolean {
  if (field.arguments?.length || field.directives?.length || field.alias) return false;
  return !field.selectionSet || field.selectionSet.selections.every((inner) => inner.kind === Kind.FIELD && plainFieldSet(inner));
}

function contextReads(selectionSet: SelectionSetNode): ContextRead[] {
  return selectionSet.selections.map((selection) => {
    const field = selection as FieldNode;
    return { name: field.name.value, from: field.name.value, ...(field.selectionSet ? { selections: contextReads(field.selectionSet) } : {}) };
  });
}

/** Selections on an abstract type as they apply to one object type: its fragments inlined, others dropped. */
function narrowTo(objectType: string, selections: readonly NormalSelection[]): NormalSelection[] {
  return selections.flatMap((selection) =>
    selection.kind === 'field' ? [selection] : selection.typeName === objectType ? selection.selections : [],
  );
}

function isLocalIn(field: FieldModel, name: string, graph: string, provided: SelectionSetNode | undefined): boolean {
  // A @requires field is only ever resolved through _entities, with its requirements sent along.
  if (field.unplannable) throw new NotPlannable(field.unplannable);
  if (field.requires.has(graph)) return false;
  return field.resolvableIn.has(graph) || (field.externalIn.has(graph) && isProvided(provided, name));
}

function fieldOf(type: TypeModel, name: string): FieldModel {
  const field = type.fields.get(name);
  if (!field) throw new NotPlannable(`${type.name}.${name} is not in the supergraph`);
  return field;
}

function isProvided(provided: SelectionSetNode | undefined, name: string): boolean {
  return provided?.selections.some((s) => s.kind === Kind.FIELD && s.name.value === name) ?? false;
}

/**
 * What a `@provides` on an abstract field provides for one of its object types: its fields, and
 * those of its fragments on that type or an interface of it (`@provides(fields: "... on Book {
 * title }")` provides a book's title, nothing of a movie's).
 */
function providedOn(provided: SelectionSetNode | undefined, type: TypeModel | undefined): SelectionSetNode | undefined {
  if (!provided || !type) return undefined;
  const selections: SelectionNode[] = [];
  for (const selection of provided.selections) {
    if (selection.kind === Kind.FIELD) selections.push(selection);
    else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const on = selection.typeCondition?.name.value;
      if (on === undefined || on === type.name || type.interfaces.includes(on)) selections.push(...(providedOn(selection.selectionSet, type)?.selections ?? []));
    }
  }
  return selections.length > 0 ? { kind: Kind.SELECTION_SET, selections } : undefined;
}

function providedChild(provided: SelectionSetNode | undefined, name: string): SelectionSetNode | undefined {
  for (const selection of provided?.selections ?? []) {
    if (selection.kind === Kind.FIELD && selection.name.value === name) return selection.selectionSet;
  }
  return undefined;
}

/**
 * The fields of a key or `@requires` set as planner selections, under internal aliases at the
 * top. A fragment below the top (`address { ... on WorkAddress { id } }`) becomes one fragment per
 * object type it applies to, planned like a client's; the representation sends its fields only
 * for objects of those types (representationOf).
 */
function internalFields(model: SupergraphModel, type: TypeModel, set: SelectionSetNode, top: boolean): NormalSelection[] {
  return set.selections.flatMap((selection): NormalSelection[] => {
    if (selection.kind !== Kind.FIELD) {
      const on = selection.kind === Kind.INLINE_FRAGMENT ? (selection.typeCondition?.name.value ?? type.name) : undefined;
      const condition = on === undefined ? undefined : model.types.get(on);
      if (!condition || selection.kind !== Kind.INLINE_FRAGMENT) throw new NotPlannable('a fragment spread in a key or @requires field set');
      if (on === type.name || (type.kind === 'object' && possibleTypes(model, condition).has(type.name))) return internalFields(model, type, selection.selectionSet, top);
      // On an object type a fragment on another type never applies (as in a client's document).
      if (type.kind === 'object' && !top) return [];
      if (top) throw new NotPlannable('a fragment on another type at the top of a key or @requires field set');
      const within = possibleTypes(model, type);
      return [...possibleTypes(model, condition)]
        .filter((objectType) => within.has(objectType))
        .map((objectType): NormalSelection => ({ kind: 'fragment', typeName: objectType, selections: internalFields(model, model.types.get(objectType)!, selection.selectionSet, false) }));
    }
    const name = selection.name.value;
    if (name === '__typename') return [];
    const responseKey = top ? internalAlias(selection) : name;
    const node: FieldNode = {
      kind: Kind.FIELD,
      name: { kind: Kind.NAME, value: name },
      ...(top ? { alias: { kind: Kind.NAME, value: responseKey } } : {}),
      // A required field can take arguments (`@requires(fields: "weight(unit: \"kg\")")`).
      ...(selection.arguments?.length ? { arguments: selection.arguments } : {}),
    };
    const below = selection.selectionSet ? model.types.get(fieldOf(type, name).type) : undefined;
    return [
      {
        kind: 'field',
        name,
        responseKey,
        node,
        ...(selection.selectionSet && below ? { selections: internalFields(model, below, selection.selectionSet, false) } : {}),
      },
    ];
  });
}

/** The top of a key or `@requires` set: fields only (a fragment on the type itself is inlined). */
function topFields(model: SupergraphModel, type: TypeModel, set: SelectionSetNode): NormalField[] {
  return internalFields(model, type, set, true).filter((selection): selection is NormalField => selection.kind === 'field');
}

/**
 * The internal alias of a key or required field: its name, and for a field with arguments a
 * digest of them, so `weight(unit: "kg")` and `weight(unit: "lb")` land under different keys.
 */
function internalAlias(field: FieldNode): string {
  if (!field.arguments?.length) return INTERNAL_ALIAS_PREFIX + field.name.value;
  return `${INTERNAL_ALIAS_PREFIX}${field.name.value}_${digest(field.arguments.map(print).join(','))}`;
}

/** FNV-1a, 32 bits, base 36: short, stable, and only ever compared with itself. */
function digest(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}

/**
 * Two `@requires` sets that need one field with different arguments cannot share a
 * representation (it has one value per field name): their fields go in separate fetches.
 */
function requiresConflict(planned: readonly SelectionSetNode[], next: SelectionSetNode): boolean {
  const argumentsOf = new Map<string, string>();
  for (const set of planned) {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) argumentsOf.set(selection.name.value, internalAlias(selection));
    }
  }
  return next.selections.some(
    (selection) => selection.kind === Kind.FIELD && argumentsOf.has(selection.name.value) && argumentsOf.get(selection.name.value) !== internalAlias(selection),
  );
}

function unplannedRequires(jumps: ReadonlyMap<string, Jump>): Jump | undefined {
  for (const jump of jumps.values()) if (jump.requiresPlanned < jump.requires.length) return jump;
  return undefined;
}

function representationOf(model: SupergraphModel, key: SelectionSetNode, requires: readonly SelectionSetNode[]): RepresentationField[] {
  const fields: RepresentationField[] = [];
  const add = (set: SelectionSetNode, into: RepresentationField[], top: boolean, key: boolean, on: readonly string[] | undefined) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        // internalFields planned the fragment for these object types; objects of others send none of it.
        const condition = selection.typeCondition ? model.types.get(selection.typeCondition.name.value) : undefined;
        const types = condition ? [...possibleTypes(model, condition)].filter((name) => !on || on.includes(name)) : on;
        add(selection.selectionSet, into, top, key, top ? undefined : types);
        continue;
      }
      if (selection.kind !== Kind.FIELD || selection.name.value === '__typename') continue;
      const name = selection.name.value;
      const scope = on?.join(',');
      let field = into.find((candidate) => candidate.name === name && candidate.on?.join(',') === scope);
      if (!field) into.push((field = { name, from: top ? internalAlias(selection) : name, ...(top && key ? { key: true as const } : {}), ...(on ? { on } : {}) }));
      if (selection.selectionSet) {
        const below = [...(field.selections ?? [])];
        add(selection.selectionSet, below, false, key, undefined);
        field.selections = below;
      }
    }
  };
  add(key, fields, true, true, undefined);
  for (const set of requires) add(set, fields, true, false, undefined);
  return fields;
}

/** The selections of one fetch at one position; the planner's own leaves are written once. */
class Output {
  readonly selections: SelectionNode[] = [];
  private readonly added = new Set<string>();
  add(selection: SelectionNode): void {
    if (selection.kind === Kind.FIELD && !selection.selectionSet && !selection.arguments?.length) {
      // The same leaf under the same key twice (a key injected for two jumps) is sent once.
      const key = `${selection.alias?.value ?? selection.name.value}:${selection.name.value}`;
      if (this.added.has(key)) return;
      this.added.add(key);
    }
    this.selections.push(selection);
  }
  addOnce(responseKey: string, selection: FieldNode): void {
    if (this.added.has(`${responseKey}:${selection.name.value}`)) return;
    this.add(selection);
  }
}

const typenameNode: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };
const typenameField: NormalField = { kind: 'field', responseKey: '__typename', name: '__typename', node: typenameNode };

const REPRESENTATIONS = 'representations';

/** The fields in a fetch's selections, fragments' included. */
function fieldCount(selections: readonly SelectionNode[]): number {
  let count = 0;
  for (const selection of selections) {
    if (selection.kind === Kind.FIELD) count++;
    if (selection.kind !== Kind.FRAGMENT_SPREAD && selection.selectionSet) count += fieldCount(selection.selectionSet.selections);
  }
  return count;
}

function framesOf(position: Position): Pick<Position, 'frames'> {
  return position.frames ? { frames: position.frames } : {};
}

function withSelections(node: FieldNode, selectionSet: SelectionSetNode | undefined): FieldNode {
  // Only @skip/@include may be on a planned field, and they were applied: none is sent on.
  return {
    kind: Kind.FIELD,
    name: node.name,
    ...(node.alias ? { alias: node.alias } : {}),
    ...(node.arguments?.length ? { arguments: node.arguments } : {}),
    ...(selectionSet ? { selectionSet } : {}),
  };
}

function collectVariables(args: readonly ArgumentNode[] | undefined, into: Set<string>): void {
  const visit = (value: ValueNode): void => {
    if (value.kind === Kind.VARIABLE) into.add(value.name.value);
    else if (value.kind === Kind.LIST) value.values.forEach(visit);
    else if (value.kind === Kind.OBJECT) value.fields.forEach((field) => visit(field.value));
  };
  for (const argument of args ?? []) visit(argument.value);
}

/** A fetch that must wait for whole subtrees of fetches (its `@requires` data) depends on each of their fetches. */
function addSubtreeDependencies(drafts: readonly Draft[]): void {
  const children = new Map<Draft, Draft[]>();
  for (const draft of drafts) for (const dep of draft.deps) children.set(dep, [...(children.get(dep) ?? []), draft]);
  for (const draft of drafts) {
    const seen = new Set<Draft>();
    const queue = [...draft.waitForTrees];
    while (queue.length > 0) {
      const next = queue.pop()!;
      if (next === draft || seen.has(next)) continue;
      seen.add(next);
      // Another fetch waiting for the same data (`aName` and `cName` both require `name`) is a
      // peer, not part of the data: waiting for each other would be a cycle.
      queue.push(...(children.get(next) ?? []).filter((child) => !child.waitForTrees.includes(next)));
    }
    for (const dep of seen) if (!draft.deps.includes(dep)) draft.deps.push(dep);
  }
}

/**
 * Entity fetches that send the same selection to the same subgraph for the same type, as many
 * hops from the root, become one fetch over all their paths, after all of their fetches: the same
 * product fields wanted under two root fields, or at three places of one answer, cost one request,
 * not three. Requests under per-user load cannot share subgraph calls (the identity is part of
 * the dedup key), so every fetch a plan saves is a subgraph call saved on every request. Equal
 * depth is what keeps this from lengthening the plan: neither fetch can wait for the other, and
 * the merged fetch is still that many hops from the root.
 */
function mergeIdenticalFetches(drafts: readonly Draft[]): Draft[] {
  // Hops from the root: the longest chain of fetches a draft waits for. A merge keeps every
  // signature as it was (same step, depth and selection), so one pass finds every merge.
  const depths = new Map<Draft, number>();
  const depthOf = (draft: Draft): number => {
    let depth = depths.get(draft);
    if (depth === undefined) {
      depth = draft.deps.reduce((deepest, dep) => Math.max(deepest, depthOf(dep) + 1), 0);
      depths.set(draft, depth);
    }
    return depth;
  };
  const mergedInto = new Map<Draft, Draft>();
  const bySignature = new Map<string, Draft>();
  for (const draft of drafts) {
    if (draft.kind !== 'entity') continue;
    const selection = print({ kind: Kind.SELECTION_SET, selections: draft.selections });
    const signature = `${draft.step} ${depthOf(draft)} ${draft.graph} ${draft.typeName} ${JSON.stringify(draft.representation)} ${selection}`;
    const kept = bySignature.get(signature);
    if (kept) {
      kept.paths.push(...draft.paths);
      kept.collect = kept.collect && draft.collect ? new Set([...kept.collect, ...draft.collect]) : undefined;
      kept.deps.push(...draft.deps);
      mergedInto.set(draft, kept);
    } else {
      bySignature.set(signature, draft);
    }
  }
  const kept = drafts.filter((draft) => !mergedInto.has(draft));
  for (const draft of kept) draft.deps = [...new Set(draft.deps.map((dep) => mergedInto.get(dep) ?? dep))];
  return kept;
}

function toPlan(
  allDrafts: readonly Draft[],
  model: SupergraphModel,
  operation: OperationDefinitionNode,
  variableDefinitions: ReadonlyMap<string, VariableDefinitionNode>,
): QueryPlan {
  addSubtreeDependencies(allDrafts);
  const drafts = mergeIdenticalFetches(allDrafts);
  const nodes = new Map<Draft, FetchNode>();
  const clientName = operation.name?.value;
  for (const draft of drafts) {
    const subgraph = model.graphs.get(draft.graph)?.name ?? draft.graph;
    const variableNames = [...draft.variables].sort();
    const definitions = variableNames.map((name) => {
      const definition = variableDefinitions.get(name) ?? draft.context?.find((entry) => entry.variable.name === name)?.definition;
      if (!definition) throw new NotPlannable(`undefined variable $${name}`);
      return definition;
    });
    const isEntity = draft.kind === 'entity';
    if (isEntity) definitions.unshift(representationsDefinition);
    // Named after the client's operation, so a subgraph's logs say where a request came from.
    const operationName = clientName ? `${clientName}__${subgraph}__${draft.id}` : undefined;
    const selectionSet: SelectionSetNode = isEntity
      ? {
          kind: Kind.SELECTION_SET,
          selections: [
            {
              kind: Kind.FIELD,
              name: { kind: Kind.NAME, value: '_entities' },
              arguments: [
                {
                  kind: Kind.ARGUMENT,
                  name: { kind: Kind.NAME, value: REPRESENTATIONS },
                  value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: REPRESENTATIONS } },
                },
              ],
              selectionSet: {
                kind: Kind.SELECTION_SET,
                selections: [
                  {
                    kind: Kind.INLINE_FRAGMENT,
                    typeCondition: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: draft.typeName } },
                    selectionSet: { kind: Kind.SELECTION_SET, selections: draft.selections },
                  },
                ],
              },
            },
          ],
        }
      : { kind: Kind.SELECTION_SET, selections: draft.selections };
    const operationType = isEntity ? OperationTypeNode.QUERY : operation.operation;
    const document: DocumentNode = {
      kind: Kind.DOCUMENT,
      definitions: [
        {
          kind: Kind.OPERATION_DEFINITION,
          operation: operationType,
          ...(operationName ? { name: { kind: Kind.NAME, value: operationName } } : {}),
          variableDefinitions: definitions,
          selectionSet,
        },
      ],
    };
    nodes.set(draft, {
      id: draft.id,
      subgraph,
      kind: draft.kind,
      operationType,
      operationName,
      document,
      printedLength: print(document).length,
      variableNames,
      paths: draft.paths,
      typeName: draft.typeName,
      ...(draft.collect ? { collect: [...draft.collect] } : {}),
      representation: draft.representation,
      errorKeys: draft.errorKeys,
      deps: [],
      ...(draft.context ? { context: draft.context.map((entry) => entry.variable) } : {}),
    });
  }
  for (const [draft, node] of nodes) (node.deps as FetchNode[]).push(...draft.deps.map((dep) => nodes.get(dep)!));
  const steps: FetchNode[][] = [];
  for (const draft of drafts) (steps[draft.step] ??= []).push(nodes.get(draft)!);
  return { steps: steps.filter((step) => step !== undefined) };
}

const representationsDefinition: VariableDefinitionNode = {
  kind: Kind.VARIABLE_DEFINITION,
  variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: REPRESENTATIONS } },
  type: {
    kind: Kind.NON_NULL_TYPE,
    type: {
      kind: Kind.LIST_TYPE,
      type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: '_Any' } } },
    },
  },
};
