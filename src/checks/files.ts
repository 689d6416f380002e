import path from 'node:path';
import type { CheckFamily, RuleMeta } from './types.js';

export const FILES_RULES: readonly RuleMeta[] = [
  {
    id: 'files/icon',
    severity: 'warning',
    title: 'Activity module or question type without an icon',
    why: 'Moodle shows the plugin icon in the activity chooser, course page and question bank (`pix/monologo` or `pix/icon` for activities, `pix/icon` for question types). Without one the image request fails and users see a broken or missing icon.',
    fix: 'Add pix/monologo.svg (activities, Moodle 4.0+) and/or pix/icon.svg (or .png).',
  },
  {
    id: 'files/monologo',
    severity: 'notice',
    title: 'Activity module has pix/icon but no pix/monologo',
    why: 'Since Moodle 4.0 activity icons are monochrome `monologo` images, tinted by purpose. Moodle falls back to the old `icon` image, which then looks out of place next to core activities.',
    fix: 'Add a monochrome pix/monologo.svg (keep pix/icon for Moodle 3.x if you still support it).',
  },
  {
    id: 'files/readme',
    severity: 'notice',
    title: 'No README',
    why: 'Moodle recommends a README (README.md or README.txt) as an offline copy of the Plugins directory page: what the plugin does, how to install and configure it.',
    fix: 'Add a README.md at the plugin root.',
  },
  {
    id: 'files/stray',
    severity: 'notice',
    title: 'Committed junk file',
    why: 'Operating-system metadata, editor backups and merge leftovers (.DS_Store, Thumbs.db, *.orig, *~, ...) end up in every site that installs the plugin and in the Plugins directory ZIP.',
    fix: 'Delete the file and add its pattern to .gitignore.',
  },
  {
    id: 'files/symlink-outside',
    severity: 'error',
    title: 'Symbolic link that leads outside the plugin',
    why: 'A link to a file outside the plugin (or to nothing) is not part of the plugin: the Plugins directory ZIP and a site that installs it do not have what it points to, and moodle-plugin-check never follows it (a link in a pull request could otherwise read the runner’s files).',
    fix: 'Replace the link with the file itself, or remove it.',
  },
  {
    id: 'files/symlink',
    severity: 'warning',
    title: 'Symbolic link inside the plugin',
    why: 'Moodle’s plugin installer and the Plugins directory work from ZIP archives, which do not keep symbolic links portably; Windows checkouts turn them into text files. moodle-plugin-check does not follow links, so the linked file is not linted.',
    fix: 'Commit the file itself instead of a link to it.',
  },
];

const IMAGE_EXT = ['svg', 'png', 'gif', 'jpg', 'jpeg'];
const STRAY_NAMES = new Set(['.ds_store', 'thumbs.db', 'desktop.ini', '.directory']);
const STRAY_PATTERN = /(\.(orig|rej|swp|swo|bak|tmp)|~)$/i;

export const filesFamily: CheckFamily = {
  family: 'files',
  rules: FILES_RULES,
  run(ctx) {
    const p = ctx.plugin;
    for (const link of p.links) {
      if (link.to === 'inside')
        ctx.report(
          'files/symlink',
          { file: link.rel },
          `${link.rel} is a symbolic link; it is not followed.`,
        );
      else
        ctx.report(
          'files/symlink-outside',
          { file: link.rel },
          link.to === 'dangling'
            ? `${link.rel} is a symbolic link to nothing (or to a place that cannot be read); it is not followed.`
            : `${link.rel} is a symbolic link that leads outside the plugin; it is not followed.`,
        );
    }
    const hasImage = (name: string): boolean => IMAGE_EXT.some((e) => p.has(`pix/${name}.${e}`));

    if (p.type === 'mod' || p.type === 'qtype') {
      const icon = hasImage('icon');
      const monologo = p.type === 'mod' && hasImage('monologo');
      if (!icon && !monologo) {
        ctx.report(
          'files/icon',
          { file: 'version.php' },
          p.type === 'mod'
            ? `${p.component ?? 'This activity'} has neither pix/monologo nor pix/icon (svg, png or gif), so Moodle shows a broken icon for it.`
            : `${p.component ?? 'This question type'} has no pix/icon (svg, png or gif), so Moodle shows a broken icon for it.`,
          p.type === 'mod' ? 'Add pix/monologo.svg.' : 'Add pix/icon.svg.',
        );
      } else if (p.type === 'mod' && !monologo && p.targetBranches().some((b) => b.branch >= 400)) {
        const file = IMAGE_EXT.map((e) => `pix/icon.${e}`).find((f) => p.has(f));
        ctx.report(
          'files/monologo',
          { ...(file ? { file } : {}) },
          `${p.component ?? 'This activity'} has ${file ?? 'pix/icon'} but no pix/monologo; Moodle 4.0+ falls back to the old coloured icon.`,
          'Add a monochrome pix/monologo.svg.',
        );
      }
    }

    if (!p.isSubplugin && !p.allFiles.some((f) => /^readme(\.[a-z]+)?$/i.test(f))) {
      ctx.report(
        'files/readme',
        {},
        'The plugin has no README (README.md, README.txt or README).',
        'Add a README.md describing what the plugin does and how to install it.',
      );
    }

    for (const f of p.files) {
      const base = path.posix.basename(f);
      if (STRAY_NAMES.has(base.toLowerCase()) || STRAY_PATTERN.test(base)) {
        ctx.report(
          'files/stray',
          { file: f },
          `${f} looks like a stray file that should not be committed.`,
          'Delete it.',
        );
      }
    }
  },
};
