/**
 * A Ferrite stream replicated across peers with Raft, on Apache Ratis: {@link io.ferrite.replication.ReplicationNode}
 * runs one peer, {@link io.ferrite.replication.ReplicatedStream} is what users call,
 * {@link io.ferrite.replication.FerriteStateMachine} applies the committed log to the local stream. Guarantees and
 * operation: docs/REPLICATION.md.
 */
package io.ferrite.replication;
