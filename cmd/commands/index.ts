/**
 * The command groups of the `swarmlet` CLI. Each module registers its commands on the program;
 * add a module here to add commands (e.g. the lead's `registerUp`).
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerImage } from './image.js';
import { registerNode } from './node.js';
import { registerService } from './service.js';
import { registerSystem } from './system.js';
import { registerUp } from './up.js';
import { registerGateway } from './gateway.js';
import { registerClientToken, registerJoinToken, registerManager } from './cluster-processes.js';
import { registerEvents } from './events.js';
import { registerSecret } from './secret.js';
import { registerNetwork } from './network.js';
import { registerStack } from './stack.js';
import { registerSwarm } from './swarm.js';

export type CommandModule = (program: Command, ctx: CliContext) => void;

export const commandModules: CommandModule[] = [registerUp, registerManager, registerJoinToken, registerClientToken, registerGateway, registerService, registerNode, registerImage, registerSystem, registerEvents, registerSecret, registerNetwork, registerStack, registerSwarm];
