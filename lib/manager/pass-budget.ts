/** How much one manager pass does before it yields, and what it reports. */

/** What one pass did. */
export interface PassReport {
  /** Services reconciled, in order. */
  services: string[];
  /** Tasks offered to the scheduler. */
  tried: number;
  /** Of those, tasks assigned to a node. */
  assigned: number;
  /** Whether the pass was a full one (first pass, resync, or asked for). */
  full: boolean;
}

/** How much one pass does at most before it yields (the rest follows in the next pass). */
export interface PassBudget {
  /** Tasks read by the service planners. */
  tasksExamined: number;
  /** Task writes planned by orchestrators (creates, stops, removals). */
  orchestratorOps: number;
  /** Waiting tasks given to the scheduler. */
  placements: number;
}

/** A service with this many tasks is "huge": progress-only changes reconcile it at most every PROGRESS_DEFER_MS. */
export const BIG_SERVICE_TASKS = 20_000;
export const PROGRESS_DEFER_MS = 1_000;

export const DEFAULT_PASS_BUDGET: PassBudget = { tasksExamined: 200_000, orchestratorOps: 500, placements: 500 };
