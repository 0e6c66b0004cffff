/** The scheduler's pure core: filters, ranking, placement plans. */
export { planPlacements, type PlacementInput, type PlacementPlan } from './plan-placements.js';
export {
  FILTERS, enabledFilters, explainNoNode, firstFailingFilter, footprintOfRequirements, noSuitableNode, passesFilters,
  requirementsOf,
  type Filter, type ImageAvailable, type TaskRequirements,
} from './filters.js';
export { NodeInfo, buildNodeInfos, hostPortKeys, FAILURE_WINDOW_MS, type NodeInfoSet, type ServiceTaskIndex, type TaskFootprint } from './node-info.js';
export { MAX_FAILURES, NodeHeap, candidateOf, compareCandidates, rankNodes, type Candidate, type NodeCompare } from './rank.js';
export { buildSpreadTree, placeOnTree, type SpreadTree } from './spread-tree.js';
export { matchConstraints, parseConstraints, type Constraint } from '../model/constraints.js';
