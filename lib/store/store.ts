import type { Image, Node, Service, Task } from '../model/types.js';
import type { Config, Secret } from '../model/secret-types.js';
import type { Network } from '../model/network-types.js';

export type ObjectKind = 'service' | 'task' | 'node' | 'image' | 'secret' | 'config' | 'network';
export type KindMap = { service: Service; task: Task; node: Node; image: Image; secret: Secret; config: Config; network: Network };

export interface StoreEvent<K extends ObjectKind = ObjectKind> {
  kind: K;
  action: 'create' | 'update' | 'delete';
  id: string;
  object: KindMap[K];
  old?: KindMap[K];
}

/** Read access inside `view`/`update`. Returned objects are the stored ones: never mutate them. */
export interface ReadTx {
  getService(id: string): Service | undefined;
  listServices(): Service[];
  getTask(id: string): Task | undefined;
  listTasks(): Task[];
  tasksOfService(serviceId: string): Task[];
  tasksOfNode(nodeId: string): Task[];
  getNode(id: string): Node | undefined;
  listNodes(): Node[];
  getImage(name: string): Image | undefined;
  listImages(): Image[];
  getSecret(id: string): Secret | undefined;
  listSecrets(): Secret[];
  getConfig(id: string): Config | undefined;
  listConfigs(): Config[];
  getNetwork(id: string): Network | undefined;
  listNetworks(): Network[];
  /** The store's last committed version index. */
  index(): number;
}

/** Write access inside `update`. `put*` stores a copy and stamps Version.Index/UpdatedAt. */
export interface WriteTx extends ReadTx {
  putService(s: Service): Service;
  deleteService(id: string): void;
  putTask(t: Task): Task;
  deleteTask(id: string): void;
  putNode(n: Node): Node;
  deleteNode(id: string): void;
  putImage(i: Image): Image;
  deleteImage(name: string): void;
  putSecret(s: Secret): Secret;
  deleteSecret(id: string): void;
  putConfig(c: Config): Config;
  deleteConfig(id: string): void;
  putNetwork(n: Network): Network;
  deleteNetwork(id: string): void;
}

/**
 * The transactional store. `update` runs its callback synchronously; if it throws nothing is
 * changed, otherwise the changes are durable (when the backend is) before `update` returns and
 * watchers get the events after commit.
 */
export interface Store {
  view<T>(fn: (tx: ReadTx) => T): T;
  update<T>(fn: (tx: WriteTx) => T): T;
  /** Calls `fn` with the current snapshot (atomically) and then with every later batch of events. */
  watch(fn: (events: StoreEvent[]) => void, onSnapshot?: (tx: ReadTx) => void): () => void;
  close(): void;
}
