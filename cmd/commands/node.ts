/** `swarmlet node ls|ps|inspect|update`. */
import type { Command } from 'commander';
import type { Node, Task } from '../../lib/model/types.js';
import { mergeFilters } from '../../lib/client/filters.js';
import type { CliContext } from '../context.js';
import { describeError, ExitError } from '../errors.js';
import { buildNodeRows, NODE_FIELDS, NODE_HEADER, nodeRowCells } from '../format/node-table.js';
import { prettyNode } from '../format/node-pretty.js';
import { collect, parseFilterArgs } from '../options.js';
import { checkFormat, printRows, printTasks, type TaskListFlags } from '../print-tasks.js';
import { nodeRef } from '../node-ref.js';
import { registerNodeUpdate } from './node-update.js';
import { registerNodeJoin, registerNodeRm } from './cluster-processes.js';
import { inspectTemplate } from '../format/inspect-template.js';

function registerNodeLs(node: Command, ctx: CliContext): void {
  node.command('ls').alias('list').description('List nodes in the swarm')
    .option('-q, --quiet', 'Only display IDs')
    .option('-f, --filter <key=value>', 'Filter output (id, name, label, role, membership)', collect)
    .option('--format <format>', 'Output format: table (default), json (one object per line) or a Go template (\'{{.Hostname}}\')')
    .addHelpText('after', '\nExamples:\n  $ swarmlet node ls\n  $ swarmlet node ls --format json')
    .action(ctx.run(async (flags: { quiet?: boolean; filter?: string[]; format?: string }) => {
      checkFormat(flags.format);
      const nodes = await ctx.client().nodes.list(parseFilterArgs(flags.filter));
      const self = !flags.quiet && nodes.length > 0 ? (await ctx.client().info()).Swarm.NodeID : undefined;
      const rows = buildNodeRows(nodes, self);
      if (flags.quiet) for (const row of rows) ctx.out(row.ID);
      else printRows(ctx, flags.format, rows, { header: NODE_HEADER, cells: nodeRowCells, fields: NODE_FIELDS });
    }));
}

function registerNodePs(node: Command, ctx: CliContext): void {
  node.command('ps').description('List tasks running on one or more nodes, defaults to the current node')
    .argument('[node...]', 'node IDs, hostnames or `self`')
    .option('--no-trunc', 'Do not truncate output')
    .option('-q, --quiet', 'Only display task IDs')
    .option('-f, --filter <key=value>', 'Filter output (id, name, desired-state)', collect)
    .option('--format <format>', 'Output format: table (default), json (one object per line) or a Go template (\'{{.Hostname}}\')')
    .addHelpText('after', '\nExamples:\n  $ swarmlet node ps\n  $ swarmlet node ps node-2 --filter desired-state=running')
    .action(ctx.run(async (refs: string[], flags: TaskListFlags & { filter?: string[]; trunc?: boolean }) => {
      checkFormat(flags.format);
      const userFilters = parseFilterArgs(flags.filter);
      const tasks: Task[] = [];
      const errors: string[] = [];
      for (const ref of refs.length > 0 ? refs : ['self']) {
        try {
          const n = await ctx.client().nodes.get(await nodeRef(ctx, ref));
          tasks.push(...(await ctx.client().tasks.list(mergeFilters(userFilters, { node: [n.ID] }))));
        } catch (e) {
          errors.push(describeError(e));
        }
      }
      if (errors.length < (refs.length || 1)) await printTasks(ctx, tasks, [], { noTrunc: flags.trunc === false, quiet: flags.quiet, format: flags.format });
      for (const line of errors) ctx.err(line);
      if (errors.length > 0) throw new ExitError(1);
    }));
}

function registerNodeInspect(node: Command, ctx: CliContext): void {
  node.command('inspect').description('Display detailed information on one or more nodes')
    .argument('<node...>', 'node IDs, hostnames or `self`')
    .option('--pretty', 'Print the information in a human friendly format')
    .option('-f, --format <template>', 'Format the output using the given Go template ({{.Status.State}}, {{json .Spec.Labels}})')
    .addHelpText('after', '\nExamples:\n  $ swarmlet node inspect self\n  $ swarmlet node inspect --pretty node-2\n  $ swarmlet node inspect -f \'{{.Spec.Availability}}\' node-2')
    .action(ctx.run(async (refs: string[], flags: { pretty?: boolean; format?: string }) => {
      const template = inspectTemplate(flags);
      const found: Node[] = [];
      const errors: string[] = [];
      for (const ref of refs) {
        try {
          found.push(await ctx.client().nodes.get(await nodeRef(ctx, ref)));
        } catch (e) {
          errors.push(describeError(e));
        }
      }
      if (template) for (const n of found) ctx.out(template.render(n));
      else if (flags.pretty) found.forEach((n, i) => { if (i > 0) ctx.out(''); for (const l of prettyNode(n)) ctx.out(l); });
      else ctx.out(JSON.stringify(found, null, 4));
      for (const line of errors) ctx.err(line);
      if (errors.length > 0) throw new ExitError(1);
    }));
}

export function registerNode(program: Command, ctx: CliContext): void {
  const node = program.command('node').description('Manage swarm nodes');
  registerNodeInspect(node, ctx);
  registerNodeLs(node, ctx);
  registerNodePs(node, ctx);
  registerNodeUpdate(node, ctx);
  registerNodeJoin(node, ctx);
  registerNodeRm(node, ctx);
}
