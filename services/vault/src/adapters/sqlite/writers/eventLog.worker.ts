import { type AppendRequest, createGroupCommitter, type Outcome } from './eventLogCommit.js';
import { serveWrites } from './serve.js';

/** The embedded event log's writer thread: each batch is a group of appends, answered one outcome per append. */
serveWrites<AppendRequest[], Outcome[]>((db) => {
  const commit = createGroupCommitter(db);
  return {
    size: (group) => group.reduce((n, a) => n + a.ids.length, 0),
    commit: (groups) => {
      const outcomes = commit(groups.flat());
      let at = 0;
      return groups.map((g) => outcomes.slice(at, (at += g.length)));
    },
  };
});
