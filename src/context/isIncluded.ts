import { GraphQLIncludeDirective, GraphQLSkipDirective, getDirectiveValues, type DirectiveNode } from 'graphql';

/**
 * Whether `@skip`/`@include` keep a selection (or a fragment) for these variables, as graphql-js
 * decides it while collecting fields. Shared by the planning budget (src/compose/checkPlanBudget.ts)
 * and field authorization's null placement (src/plugins/authz/nullDeniedFields.ts), which must
 * count and place exactly the fields execution will run. @graphql-tools/utils' `shouldIncludeNode`
 * would do, but its types take graphql 17's variable values, not the plain record graphql 16 gives.
 */
export function isIncluded(node: { readonly directives?: readonly DirectiveNode[] | undefined }, variables: Record<string, unknown> | undefined): boolean {
  if (!node.directives?.length) return true;
  if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.['if'] === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, variables)?.['if'] !== false;
}
