import type { BranchMoved } from '../domain/prompts/hooks.js';
import type { CollabDocument } from './document.js';

/** What the peers layer calls back into the collab server for. */
export interface PeerHost {
  document(branchId: string): CollabDocument | undefined;
  /** Another process moved a branch (a commit there): merge it into the open draft if this process is primary. */
  branchMoved(moved: BranchMoved): void;
  /** This process now stores the document (its previous holder died or left). */
  becamePrimary(doc: CollabDocument): void;
}

/**
 * The other backend processes serving the same drafts. Without Redis there are none: this process is the primary of
 * every document and nothing crosses.
 */
export interface Peers {
  attach(host: PeerHost): void;
  /** Starts following a document loaded here (and asks the others for what it lacks). */
  join(doc: CollabDocument): Promise<void>;
  /** Resolves once the document holds what the other processes had when it joined. */
  synced(doc: CollabDocument): Promise<void>;
  leave(doc: CollabDocument): Promise<void>;
  publish(doc: CollabDocument, kind: 'update' | 'awareness', payload: Uint8Array): void;
  announceBranchMoved(moved: BranchMoved): void;
  isPrimary(doc: CollabDocument): boolean;
  close(): Promise<void>;
}

export function localPeers(): Peers {
  return {
    attach() {},
    join: async () => {},
    synced: async () => {},
    leave: async () => {},
    publish() {},
    announceBranchMoved() {},
    isPrimary: () => true,
    close: async () => {},
  };
}
