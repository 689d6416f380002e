// MPC_BENCH_BLUEPRINT=1 npm run bench: `blueprint run` of a blueprint that creates a category,
// 5 courses, 50 users, 50 enrolments and a label per course, on Moodle MPC_BENCH_BLUEPRINT_MOODLE
// (default 4.5, a registered tree; warm site cache) with the bundled mod_example installed first.
// Reports each phase and each step.
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export function benchBlueprint({ root, tmp, timeRun, label }) {
  const cli = path.join(root, 'bin/moodle-plugin-check.js');
  const courses = Array.from({ length: 5 }, (_, i) => ({
    fullname: `Bench course ${i + 1}`,
    shortname: `BENCH${i + 1}`,
    category: 'Bench',
  }));
  const users = Array.from({ length: 50 }, (_, i) => ({
    username: `bench${String(i + 1).padStart(2, '0')}`,
    firstname: 'Bench',
    lastname: `User ${i + 1}`,
  }));
  const blueprint = {
    steps: [
      { step: 'installMoodle', options: { siteName: 'Bench' } },
      { step: 'createCategory', name: 'Bench' },
      { step: 'createCourses', courses },
      { step: 'createUsers', users },
      {
        step: 'enrolUsers',
        enrolments: users.map((u, i) => ({
          username: u.username,
          course: courses[i % 5].shortname,
          role: i < 5 ? 'editingteacher' : 'student',
        })),
      },
      ...courses.map((c) => ({
        step: 'addModule',
        module: 'label',
        course: c.shortname,
        section: 1,
        intro: 'Hi',
      })),
      { step: 'login', username: 'bench01' },
      { step: 'request', url: '/course/view.php?id=2' },
    ],
  };
  const file = path.join(tmp, 'bench.blueprint.json');
  writeFileSync(file, JSON.stringify(blueprint));
  const moodle = process.env.MPC_BENCH_BLUEPRINT_MOODLE ?? '4.5';
  const plugin = path.join(root, 'fixtures/plugins/mod_example');
  const r = timeRun([
    cli,
    'blueprint',
    'run',
    file,
    '--plugin',
    plugin,
    '--moodle',
    moodle,
    '--offline',
    '--format',
    'json',
  ]);
  if (r.status !== 0)
    throw new Error(`blueprint run exited ${r.status}: ${r.stdout.slice(0, 500)}`);
  const report = JSON.parse(r.stdout);
  console.log(
    `\nBlueprint: 5 courses, 50 users, 50 enrolments, 5 labels, login + request on Moodle ${report.moodle.release.replace(/ \(Build.*/, '')} (PHP ${report.moodle.php}), mod_example installed first; wall ${(r.ms / 1000).toFixed(1)} s, peak RSS ${Math.round(r.rssKb / 1024)} MB (${label})`,
  );
  console.table(
    report.phases.map((p) => ({
      phase: p.name,
      status: p.status,
      s: (p.durationMs / 1000).toFixed(1),
    })),
  );
  console.table(
    report.steps.map((s) => ({
      step: `${s.index} ${s.step}`,
      status: s.status,
      s: (s.durationMs / 1000).toFixed(2),
    })),
  );
}
