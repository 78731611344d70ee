/*
 * TinyDB's durability protocol, model-checked with spin (see spec/README.md and docs/crash-safety.md).
 *
 * What is modelled (the code it abstracts is named at each piece):
 *  - commit with group commit (packages/wal/src/wal.ts, commit-group.ts, segment-writer.ts): writers
 *    append records to the gathering group; the flusher takes the whole group, writes it with one
 *    write, makes it durable with one fdatasync, then applies its records to the tree in LSN order
 *    and acknowledges them (packages/engine/src/db.ts `commit`/`apply`);
 *  - checkpoint (packages/recovery/src/checkpoint.ts, packages/pager/src/checkpoint-writer.ts): seal
 *    the applied state, write its page at a location the durable meta does not reference, fsync,
 *    write the meta slot the durable meta is not in, fsync, then drop the log records it covers;
 *  - recovery (packages/recovery/src/replay.ts, pager/src/data-file.ts `chooseMeta`, wal's torn-tail
 *    rule in segment-scan.ts `judgeTail`): the newest valid meta, its root page, then the log after
 *    its LSN up to the first record that is not there;
 *  - a crash possible before every step of every process; at the crash every write not yet synced
 *    independently persists, is lost, or is torn (detected by its checksum, so: invalid).
 *  - after recovery, the reopened store checkpoints (as its close, or its first background
 *    checkpoint, would), may crash at every step of that too, and is recovered again.
 *
 * The tree is abstracted to the set of operations applied (a bit mask); one root page holds it.
 * Record contents are ghost variables: rec[lsn] is the operations of record lsn.
 *
 * Deliberately wrong variants (spec/check.sh verifies spin finds an error in each):
 *   -DDROP_BEFORE_META_SYNC  drop the log records before the new meta page is synced
 *   -DIN_PLACE               write the checkpoint's page over the page the durable meta references
 *   -DACK_BEFORE_SYNC        acknowledge a group after its write, before its fdatasync
 */

#define N        3      /* log records, LSN 1..N: one per writer */
#define CKPTS    2      /* checkpoints the live store attempts */
#define NOPAGE   2      /* root of the empty tree */
#define BATCH    6      /* ops 1 and 2: writer 1's record is an atomic batch of two operations */

/* state of a log record, a page or a meta on the durable disk */
#define ABSENT   0
#define VALID    1
#define TORN     2

/* --- the disk: durable state, plus writes issued but not yet synced (pending) --- */
byte log_disk[N + 1];      /* per LSN: ABSENT, VALID or TORN */
bool log_pend[N + 1];      /* written, not yet fdatasynced */

byte pg_state[2];          /* the two page locations a root can live in */
byte pg_mask[2];
bool pg_pend[2];
byte pg_new[2];            /* the content of a pending page write */

byte m_state[2];           /* the two meta slots */
byte m_id[2];
byte m_lsn[2];
byte m_root[2];
byte m_mask[2];            /* ghost: the operations the meta's checkpoint holds */
bool m_pend[2];
byte mv_id[2];             /* the content of a pending meta write */
byte mv_lsn[2];
byte mv_root[2];
byte mv_mask[2];

/* --- the running store (memory; lost at a crash) --- */
bool crashed;
byte next_lsn = 1;
byte rec[N + 1];           /* ghost: operations of each record */
byte grp[N + 1];           /* ghost: the commit group each record was written in */
byte g_first;              /* the gathering group: g_first .. g_first + g_count - 1 */
byte g_count;
byte groups;
byte flushed;
byte applied;              /* the tree: operations applied */
byte applied_lsn;
bool acked[N + 1];
byte max_acked;            /* ghost: highest acknowledged LSN (acks come in LSN order) */
byte cur_id;               /* the pager's durable meta, as it believes it */
byte cur_lsn;
byte cur_root = NOPAGE;

/* --- loop counters of the inline helpers (each runs inside one atomic step) --- */
byte pi, sl, sd, lu, rl, rj;

/* --- recovery results --- */
byte r_mask;
byte r_lsn;
byte r_slot;
byte first_mask;           /* the state the first recovery found (invariant 8) */
byte first_lsn;

/* The operations of records 1..k: the state "exactly a prefix of the log" allows. */
inline prefix_mask(k, out) {
  out = 0;
  for (pi : 1 .. k) { out = out | rec[pi] }
}

/* The slot recovery would choose now: the valid meta with the highest checkpoint id. */
inline newest_meta(out) {
  if
  :: m_state[0] == VALID && (m_state[1] != VALID || m_id[0] >= m_id[1]) -> out = 0
  :: m_state[1] == VALID && (m_state[0] != VALID || m_id[1] > m_id[0]) -> out = 1
  :: else -> out = 255
  fi
}

inline sync_log() {
  for (sl : 1 .. N) { if :: log_pend[sl] -> log_disk[sl] = VALID; log_pend[sl] = false :: else fi }
}

/* fdatasync of the data file: every pending page and meta write becomes durable. */
inline sync_data() {
  for (sd : 0 .. 1) {
    if :: pg_pend[sd] -> pg_state[sd] = VALID; pg_mask[sd] = pg_new[sd]; pg_pend[sd] = false :: else fi;
    if :: m_pend[sd] -> m_state[sd] = VALID; m_id[sd] = mv_id[sd]; m_lsn[sd] = mv_lsn[sd];
                        m_root[sd] = mv_root[sd]; m_mask[sd] = mv_mask[sd]; m_pend[sd] = false
       :: else fi
  }
}

/* Power cut: every write not yet synced reached the disk whole, not at all, or torn. */
inline lose_unsynced() {
  for (lu : 1 .. N) {
    if
    :: log_pend[lu] -> log_pend[lu] = false;
       if :: log_disk[lu] = VALID :: log_disk[lu] = ABSENT :: log_disk[lu] = TORN fi
    :: else
    fi
  }
  for (lu : 0 .. 1) {
    if
    :: pg_pend[lu] -> pg_pend[lu] = false;
       if :: pg_state[lu] = VALID; pg_mask[lu] = pg_new[lu] :: skip :: pg_state[lu] = TORN fi
    :: else
    fi;
    if
    :: m_pend[lu] -> m_pend[lu] = false;
       if
       :: m_state[lu] = VALID; m_id[lu] = mv_id[lu]; m_lsn[lu] = mv_lsn[lu]; m_root[lu] = mv_root[lu]; m_mask[lu] = mv_mask[lu]
       :: skip
       :: m_state[lu] = TORN
       fi
    :: else
    fi
  }
}

/*
 * Recovery on open. Asserts that a crash alone never makes the store unopenable or reports
 * corruption: a valid meta exists, its root page is intact and holds what that checkpoint wrote
 * (invariant 6), and no valid record of a LATER commit group lies beyond the end of the log (the
 * WAL would call that corruption, judgeTail). Leaves the state in r_mask / r_lsn.
 */
inline recover() {
  newest_meta(r_slot);
  assert(r_slot != 255);
  if
  :: m_root[r_slot] == NOPAGE -> r_mask = 0
  :: else ->
     assert(pg_state[m_root[r_slot]] == VALID);
     assert(pg_mask[m_root[r_slot]] == m_mask[r_slot]);
     r_mask = pg_mask[m_root[r_slot]]
  fi;
  rl = m_lsn[r_slot] + 1;
  do
  :: rl <= N && log_disk[rl] == VALID -> r_mask = r_mask | rec[rl]; rl++
  :: else -> break
  od;
  r_lsn = rl - 1;
  for (rj : rl + 1 .. N) { assert(!(log_disk[rj] == VALID && grp[rj] != grp[rl])) }
}

/*
 * One checkpoint (recovery/src/checkpoint.ts). Its steps are separate statements, so a crash can
 * fall between any two. The seal is atomic with respect to apply: it runs between two applies.
 */
inline checkpoint() {
  byte c_mask, c_lsn, c_id, c_target, c_slot, c_durable, cd;
  atomic { c_mask = applied; c_lsn = applied_lsn; c_id = cur_id + 1 };
#ifdef IN_PLACE
  c_target = (cur_root == NOPAGE -> 0 : cur_root);
#else
  /* copy-on-write: never the location the durable checkpoint references */
  c_target = (cur_root == 0 -> 1 : 0);
#endif
  atomic {
    /* invariant 6: nothing a durable meta recovery could choose references the page written */
    newest_meta(c_durable);
    assert(c_durable == 255 || m_root[c_durable] != c_target);
    pg_pend[c_target] = true; pg_new[c_target] = c_mask
  };
  atomic { sync_data() };
  c_slot = c_id % 2;
  atomic {
    /* the alternating meta: the slot written is never the one recovery would choose */
    newest_meta(c_durable);
    assert(c_durable != c_slot);
    m_pend[c_slot] = true; mv_id[c_slot] = c_id; mv_lsn[c_slot] = c_lsn; mv_root[c_slot] = c_target; mv_mask[c_slot] = c_mask
  };
#ifdef DROP_BEFORE_META_SYNC
  atomic { for (cd : 1 .. c_lsn) { log_disk[cd] = ABSENT } };
#endif
  atomic { sync_data() };
  cur_id = c_id; cur_lsn = c_lsn; cur_root = c_target;
#ifndef DROP_BEFORE_META_SYNC
  /* wal.dropBefore(lsn + 1): only now that the meta covering them is durable */
  atomic { for (cd : 1 .. c_lsn) { assert(!log_pend[cd]); log_disk[cd] = ABSENT } }
#endif
}

/* db.put / db.del / db.batch: append one record to the gathering group, await the acknowledgement. */
proctype writer(byte ops) {
  byte my;
  {
    atomic {
      my = next_lsn; next_lsn++; rec[my] = ops;
      if :: g_count == 0 -> g_first = my :: else fi;
      g_count++
    };
    acked[my]
  } unless { crashed }
}

/* The WAL's flush loop: one group at a time, one write and one fdatasync per group. */
proctype flusher() {
  byte f_first, f_last, fl;
  {
    do
    :: atomic { g_count > 0 -> f_first = g_first; f_last = g_first + g_count - 1; g_count = 0; groups++;
                for (fl : f_first .. f_last) { grp[fl] = groups } };
       atomic { for (fl : f_first .. f_last) { log_pend[fl] = true } };          /* one write */
#ifndef ACK_BEFORE_SYNC
       atomic { sync_log() };                                                   /* one fdatasync */
#endif
       atomic {
         for (fl : f_first .. f_last) {
           /* invariants 1 and 2: applied (visible) and acknowledged only once durable */
           assert(log_disk[fl] == VALID);
           applied = applied | rec[fl]; applied_lsn = fl; acked[fl] = true; max_acked = fl
         };
         flushed = flushed + f_last - f_first + 1
       };
#ifdef ACK_BEFORE_SYNC
       atomic { sync_log() };
#endif
    :: flushed == N -> break
    od
  } unless { crashed }
}

/* Background checkpoints of the live store, at any moment relative to the commits. */
proctype checkpointer(byte rounds) {
  byte round;
  {
    for (round : 1 .. rounds) { checkpoint() }
  } unless { crashed }
}

/* Checks invariants 1, 3 and 4 on the state a recovery found. */
inline check_recovered() {
  byte expected;
  prefix_mask(r_lsn, expected);
  /* 4: exactly a prefix of the log: the state of records 1..r_lsn, nothing else */
  assert(r_mask == expected);
  /* 4: nothing that was never written */
  assert(r_lsn < next_lsn);
  /* 1 and 4: every acknowledged record survived */
  assert(r_lsn >= max_acked);
  /* 3: the batch is entirely present or entirely absent */
  assert((r_mask & BATCH) == 0 || (r_mask & BATCH) == BATCH)
}

init {
  /* A new store: both metas valid at checkpoint 0, the empty tree, an empty log (data-file.ts). */
  m_state[0] = VALID; m_state[1] = VALID; m_root[0] = NOPAGE; m_root[1] = NOPAGE;

  atomic {
    run writer(1); run writer(BATCH); run writer(8);
    run flusher(); run checkpointer(CKPTS)
  };
  /* The crash: enabled at every step of every process above, and after they all finished. */
  crashed = true;
  (_nr_pr == 1);
  atomic { lose_unsynced() };

  atomic { recover(); check_recovered() };
  first_mask = r_mask; first_lsn = r_lsn;

  /* The reopened store: memory holds what recovery found; it checkpoints, and may crash anywhere. */
  crashed = false;
  applied = r_mask; applied_lsn = r_lsn;
  cur_id = m_id[r_slot]; cur_lsn = m_lsn[r_slot]; cur_root = m_root[r_slot];
  run checkpointer(1);
  crashed = true;
  (_nr_pr == 1);
  atomic { lose_unsynced() };

  /* 8: recovering again gives the same state */
  atomic {
    recover();
    assert(r_mask == first_mask && r_lsn == first_lsn);
    check_recovered()
  }
}
