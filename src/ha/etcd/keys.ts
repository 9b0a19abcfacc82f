// The keys mk keeps in etcd, all under one prefix (--etcd-prefix, default /mk/default):
//   <p>/election        the campaign key: value = leader id, on the leader's lease
//   <p>/members/<id>    each replica's address and applied position, on its lease
//   <p>/head            the newest log entry's sequence number
//   <p>/log/<seq>       the log: one entry per committed batch of mutations
//   <p>/cluster         the cluster id (the mk.cluster label of every container)
export class Keys {
  constructor(readonly prefix: string) {}
  get election(): string {
    return `${this.prefix}/election`;
  }
  get head(): string {
    return `${this.prefix}/head`;
  }
  get cluster(): string {
    return `${this.prefix}/cluster`;
  }
  get logPrefix(): string {
    return `${this.prefix}/log/`;
  }
  get membersPrefix(): string {
    return `${this.prefix}/members/`;
  }
  member(id: string): string {
    return `${this.membersPrefix}${id}`;
  }
  /** Zero-padded so key order is log order. */
  log(seq: number): string {
    return `${this.logPrefix}${String(seq).padStart(16, "0")}`;
  }
}

/** A log entry as stored in etcd. */
export interface LogEntry {
  seq: number;
  /** The writer's term (its campaign key's create revision). */
  term: number;
  leader: string;
  /** The leader's clock when it wrote the entry (ms): for the apply-lag metric. */
  at: number;
  muts: import("../../store/mutations.ts").Mutation[];
}

export interface Member {
  id: string;
  url: string;
  role: "leader" | "follower" | "candidate";
  appliedSeq: number;
  appliedRevision: number;
  at: number;
}
