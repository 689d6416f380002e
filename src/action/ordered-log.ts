// Checks of several Moodle versions run side by side, but a job log is one stream and GitHub's
// log groups cannot interleave. Each check writes to its own sink: the first is live, the others
// are held and written out whole, in order, as the ones before them finish; then they are live.

/** The part of the log a check's progress writes to. */
export interface GroupLog {
  info(line: string): void;
  startGroup(name: string): void;
  endGroup(): void;
}

type Op = { kind: 'info' | 'startGroup'; text: string } | { kind: 'endGroup' };

export interface OrderedLogs {
  sinks: GroupLog[];
  /** Check `i` wrote its last line. */
  done(i: number): void;
}

export function orderedLogs(n: number, live: GroupLog): OrderedLogs {
  const held: Op[][] = Array.from({ length: n }, () => []);
  const finished: boolean[] = new Array<boolean>(n).fill(false);
  let current = 0;
  const apply = (op: Op): void => {
    if (op.kind === 'endGroup') live.endGroup();
    else live[op.kind](op.text);
  };
  const write = (i: number, op: Op): void => {
    if (i === current) apply(op);
    else held[i]!.push(op);
  };
  const sinks = held.map((_, i): GroupLog => ({
    info: (text) => {
      write(i, { kind: 'info', text });
    },
    startGroup: (text) => {
      write(i, { kind: 'startGroup', text });
    },
    endGroup: () => {
      write(i, { kind: 'endGroup' });
    },
  }));
  return {
    sinks,
    done(i) {
      finished[i] = true;
      while (current < n && finished[current]) {
        current++;
        if (current < n) {
          for (const op of held[current]!) apply(op);
          held[current] = [];
        }
      }
    },
  };
}
