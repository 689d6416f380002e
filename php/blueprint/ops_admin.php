<?php
// The blueprint operations of the Moodle Playground's newer steps (roles, scales, cohorts, the
// theme, file settings, course restore, language packs, caches), run by ops.php like the others:
// each takes its validated, JSON-decoded arguments, uses Moodle's own APIs, throws on failure and
// returns a one-line summary. Files arrive as paths in /persist or /tmp written by the host side.

defined('MOODLE_INTERNAL') || die();

/** Context levels by the names the Playground accepts, or their numbers. */
function mpc_context_levels(array $given): array {
    $names = ['system' => CONTEXT_SYSTEM, 'user' => CONTEXT_USER, 'coursecat' => CONTEXT_COURSECAT,
        'category' => CONTEXT_COURSECAT, 'course' => CONTEXT_COURSE, 'module' => CONTEXT_MODULE,
        'activity' => CONTEXT_MODULE, 'block' => CONTEXT_BLOCK];
    $levels = [];
    foreach ($given as $level) {
        if (is_int($level) || ctype_digit((string) $level)) {
            $levels[] = (int) $level;
        } else if (isset($names[strtolower((string) $level)])) {
            $levels[] = $names[strtolower((string) $level)];
        } else {
            throw new coding_exception("unknown context level '$level' (use system, user, coursecat, course, module or block)");
        }
    }
    return array_values(array_unique($levels));
}

/**
 * Creates or updates one role from a plain description: shortname, name, description,
 * archetype, resetToArchetype, contextlevels, permissions (cap => CAP_*), allow{Assign,...}
 * (shortnames, or -1 for the role itself). Returns [roleid, what was done].
 */
function mpc_save_role(array $r, array &$skipped): array {
    global $DB;
    $shortname = clean_param((string) ($r['shortname'] ?? ''), PARAM_ALPHANUMEXT);
    if ($shortname === '') {
        throw new coding_exception('a role needs a shortname (letters, digits, - and _)');
    }
    $archetype = (string) ($r['archetype'] ?? '');
    if ($archetype !== '' && !in_array($archetype, get_role_archetypes(), true)) {
        throw new coding_exception("unknown role archetype '$archetype'");
    }
    $existing = $DB->get_record('role', ['shortname' => $shortname]);
    if ($existing) {
        $existing->name = (string) ($r['name'] ?? $existing->name);
        $existing->description = (string) ($r['description'] ?? $existing->description);
        $existing->archetype = $archetype !== '' ? $archetype : $existing->archetype;
        $DB->update_record('role', $existing);
        $roleid = (int) $existing->id;
        $done = 'updated';
    } else {
        $roleid = (int) create_role((string) ($r['name'] ?? ''), $shortname,
            (string) ($r['description'] ?? ''), $archetype);
        $done = 'created';
    }
    if (!empty($r['resetToArchetype']) && $archetype !== '') {
        reset_role_capabilities($roleid);
    }
    if (isset($r['contextlevels'])) {
        set_role_contextlevels($roleid, mpc_context_levels((array) $r['contextlevels']));
    } else if ($done === 'created' && $archetype !== '') {
        set_role_contextlevels($roleid, get_default_contextlevels($archetype));
    }
    $system = context_system::instance();
    foreach (($r['permissions'] ?? []) as $cap => $permission) {
        if (!get_capability_info($cap)) {
            $skipped[] = $cap; // A capability of a plugin that is not installed.
            continue;
        }
        assign_capability($cap, (int) $permission, $roleid, $system->id, true);
    }
    foreach (['assign', 'override', 'switch', 'view'] as $type) {
        if (!isset($r['allow' . $type])) {
            continue;
        }
        $setter = "core_role_set_{$type}_allowed";
        $DB->delete_records("role_allow_{$type}", ['roleid' => $roleid]);
        foreach ((array) $r['allow' . $type] as $target) {
            $targetid = $target === -1 ? $roleid
                : (is_int($target) ? $target : (int) $DB->get_field('role', 'id', ['shortname' => (string) $target]));
            if ($targetid) {
                $setter($roleid, $targetid);
            }
        }
    }
    return [$roleid, "$done $shortname"];
}

const MPC_PERMISSIONS = ['allow' => CAP_ALLOW, 'prevent' => CAP_PREVENT, 'prohibit' => CAP_PROHIBIT,
    'inherit' => CAP_INHERIT];

function mpc_op_createRoles(array $args): string {
    $done = [];
    $skipped = [];
    foreach ($args['roles'] as $r) {
        $permissions = [];
        foreach (($r['capabilities'] ?? []) as $cap => $value) {
            $permissions[$cap] = MPC_PERMISSIONS[$value] ?? CAP_INHERIT;
        }
        $r['permissions'] = $permissions;
        [, $what] = mpc_save_role($r, $skipped);
        $done[] = $what;
    }
    accesslib_clear_all_caches(true);
    return implode(', ', $done) . ($skipped ? '; skipped unknown capabilities ' . implode(', ', $skipped) : '');
}

function mpc_op_importRoles(array $args): string {
    global $CFG;
    require_once($CFG->dirroot . '/' . $CFG->admin . '/roles/classes/preset.php');
    $parsed = [];
    foreach ($args['files'] as $i => $file) {
        $xml = (string) file_get_contents($file);
        if (!\core_role_preset::is_valid_preset($xml)) {
            throw new coding_exception("role preset " . ($i + 1) . " is not valid role preset XML (Define roles → Export)");
        }
        $parsed[] = \core_role_preset::parse_preset($xml);
    }
    // Two passes, as Moodle's own import: every role exists before allow* lists name each other.
    $done = [];
    $skipped = [];
    $ids = [];
    foreach ($parsed as $info) {
        [$ids[], $what] = mpc_save_role(['shortname' => $info['shortname'], 'name' => $info['name'],
            'description' => $info['description'], 'archetype' => (string) $info['archetype']], $skipped);
        $done[] = $what;
    }
    foreach ($parsed as $i => $info) {
        $again = \core_role_preset::parse_preset((string) file_get_contents($args['files'][$i]));
        mpc_save_role(['shortname' => $info['shortname'], 'contextlevels' => array_values($again['contextlevels'] ?? []),
            'permissions' => $again['permissions'] ?? [], 'allowassign' => $again['allowassign'],
            'allowoverride' => $again['allowoverride'], 'allowswitch' => $again['allowswitch'],
            'allowview' => $again['allowview']], $skipped);
    }
    accesslib_clear_all_caches(true);
    return 'imported ' . implode(', ', $done) . ($skipped ? '; skipped unknown capabilities ' . implode(', ', array_unique($skipped)) : '');
}

function mpc_op_createScales(array $args): string {
    global $CFG, $DB;
    require_once($CFG->libdir . '/grade/grade_scale.php');
    $done = [];
    foreach ($args['scales'] as $s) {
        $items = is_array($s['items']) ? $s['items'] : explode(',', (string) $s['items']);
        $items = array_values(array_filter(array_map('trim', array_map('strval', $items)), 'strlen'));
        if (count($items) < 2) {
            throw new coding_exception("scale '{$s['name']}' needs at least two items");
        }
        $courseid = isset($s['course']) && $s['course'] !== '' ? (int) mpc_course((string) $s['course'])->id : 0;
        $record = $DB->get_record('scale', ['courseid' => $courseid, 'name' => (string) $s['name']]);
        $scale = $record ? new grade_scale(['id' => $record->id]) : new grade_scale();
        $scale->courseid = $courseid;
        $scale->userid = get_admin()->id;
        $scale->name = (string) $s['name'];
        $scale->scale = implode(', ', $items);
        $scale->description = (string) ($s['description'] ?? '');
        $scale->descriptionformat = FORMAT_HTML;
        $record ? $scale->update() : $scale->insert();
        $done[] = $scale->name;
    }
    return 'scales ' . implode(', ', $done);
}

function mpc_op_createCohorts(array $args): string {
    global $CFG, $DB;
    require_once($CFG->dirroot . '/cohort/lib.php');
    $context = context_system::instance();
    $done = [];
    foreach ($args['cohorts'] as $c) {
        $idnumber = (string) ($c['idnumber'] ?? '');
        $existing = $idnumber !== ''
            ? $DB->get_record('cohort', ['idnumber' => $idnumber, 'contextid' => $context->id])
            : $DB->get_record('cohort', ['name' => (string) $c['name'], 'contextid' => $context->id]);
        $cohort = $existing ?: new stdClass();
        $cohort->contextid = $context->id;
        $cohort->name = (string) $c['name'];
        $cohort->idnumber = $idnumber;
        $cohort->description = (string) ($c['description'] ?? '');
        $cohort->descriptionformat = FORMAT_HTML;
        $cohort->visible = array_key_exists('visible', $c) ? (int) (bool) $c['visible'] : 1;
        if ($existing) {
            cohort_update_cohort($cohort);
        } else {
            $cohort->id = cohort_add_cohort($cohort);
        }
        foreach (($c['members'] ?? []) as $username) {
            cohort_add_member($cohort->id, mpc_user((string) $username)->id);
        }
        $done[] = $cohort->name . ' (' . count($c['members'] ?? []) . ' members)';
    }
    return 'cohorts ' . implode(', ', $done);
}

function mpc_op_setTheme(array $args): string {
    global $CFG;
    require_once($CFG->libdir . '/outputlib.php');
    $name = clean_param((string) $args['name'], PARAM_THEME);
    if ($name === '' || !core_component::get_plugin_directory('theme', $name)
            || !file_exists(core_component::get_plugin_directory('theme', $name) . '/config.php')) {
        throw new moodle_exception('themenotinstalled', 'error', '', null,
            "no theme '{$args['name']}' in this Moodle (install it first with installTheme)");
    }
    set_config('theme', $name);
    theme_reset_all_caches();
    return "theme $name";
}

function mpc_op_setConfigFiles(array $args): string {
    global $CFG;
    require_once($CFG->libdir . '/outputlib.php');
    $fs = get_file_storage();
    $context = context_system::instance();
    $plugin = (string) $args['plugin'];
    $name = (string) $args['name'];
    $filearea = (string) ($args['filearea'] ?? $name);
    $itemid = (int) ($args['itemid'] ?? 0);
    if (($args['replace'] ?? true) !== false) {
        $fs->delete_area_files($context->id, $plugin, $filearea, $itemid);
    }
    $first = null;
    foreach ($args['files'] as $f) {
        $filepath = (string) ($f['filepath'] ?? $args['filepath'] ?? '/');
        $filepath = '/' . trim($filepath, '/') . ($filepath === '/' || trim($filepath, '/') === '' ? '' : '/');
        $record = ['contextid' => $context->id, 'component' => $plugin, 'filearea' => $filearea,
            'itemid' => $itemid, 'filepath' => $filepath, 'filename' => clean_param((string) $f['filename'], PARAM_FILE),
            'userid' => (int) ($f['userid'] ?? $args['userid'] ?? get_admin()->id)];
        foreach (['author', 'license', 'source'] as $k) {
            if (isset($f[$k]) || isset($args[$k])) {
                $record[$k] = (string) ($f[$k] ?? $args[$k]);
            }
        }
        if ($record['filename'] === '') {
            throw new coding_exception("'{$f['filename']}' is not a file name");
        }
        $stored = $fs->create_file_from_pathname($record, (string) $f['source_path']);
        $first ??= $stored->get_filepath() . $stored->get_filename();
    }
    if (($args['setConfigValue'] ?? true) !== false && $first !== null) {
        set_config($name, $first, $plugin);
    }
    if (!empty($args['purgeCaches'])) {
        theme_reset_all_caches();
        purge_all_caches();
    }
    return "$plugin/$name = " . ($first ?? '(no file)') . ' (' . count($args['files']) . ' file(s))';
}

function mpc_op_purgeMoodleCaches(array $args): string {
    global $CFG;
    require_once($CFG->libdir . '/outputlib.php');
    core_component::reset();
    theme_reset_all_caches();
    purge_all_caches();
    return 'caches purged';
}

function mpc_op_restoreCourse(array $args): string {
    global $CFG, $DB, $USER;
    require_once($CFG->dirroot . '/backup/util/includes/restore_includes.php');
    raise_memory_limit(MEMORY_EXTRA);
    $file = (string) $args['file'];
    if (!is_readable($file) || filesize($file) < 1000) {
        throw new coding_exception('the backup is missing or too small to be a .mbz');
    }
    $tmpid = restore_controller::get_tempdir_name(SITEID, $USER->id);
    $dir = make_backup_temp_directory($tmpid);
    if (!get_file_packer('application/vnd.moodle.backup')->extract_to_pathname($file, $dir)) {
        throw new coding_exception('the backup could not be unpacked (is it a .mbz made by Moodle?)');
    }
    if (!file_exists("$dir/moodle_backup.xml")) {
        throw new coding_exception('the archive has no moodle_backup.xml: not a Moodle course backup');
    }
    $info = backup_general_helper::get_backup_information($tmpid);
    if ($info->type !== backup::TYPE_1COURSE) {
        throw new coding_exception("the backup is of type '{$info->type}', not a course");
    }
    $categoryname = (string) ($args['category'] ?? '');
    if ($categoryname === '') {
        $categoryid = (int) core_course_category::get_default()->id;
    } else {
        $categoryid = (int) $DB->get_field_select('course_categories', 'id', 'name = ?', [$categoryname], IGNORE_MULTIPLE);
        if (!$categoryid) {
            if (($args['createCategory'] ?? true) === false) {
                throw new moodle_exception('invalidcategoryid', 'error', '', null, "no course category named '$categoryname'");
            }
            $categoryid = (int) core_course_category::create(['name' => $categoryname])->id;
        }
    }
    [$fullname, $shortname] = restore_dbops::calculate_course_names(0,
        get_string('restoringcourse', 'backup'), get_string('restoringcourseshortname', 'backup'));
    $courseid = restore_dbops::create_new_course($fullname, $shortname, $categoryid);
    $rc = new restore_controller($tmpid, $courseid, backup::INTERACTIVE_NO, backup::MODE_GENERAL,
        $USER->id, backup::TARGET_NEW_COURSE);
    if (!$rc->execute_precheck()) {
        $results = $rc->get_precheck_results();
        if (!empty($results['errors'])) {
            $rc->destroy();
            throw new coding_exception('restore precheck failed: ' . implode('; ', $results['errors']));
        }
    }
    $rc->execute_plan();
    $rc->destroy();
    $course = $DB->get_record('course', ['id' => $courseid], '*', MUST_EXIST);
    $update = ['id' => $courseid];
    if (isset($args['fullname']) && $args['fullname'] !== '') {
        $update['fullname'] = (string) $args['fullname'];
    }
    if (isset($args['shortname']) && $args['shortname'] !== ''
            && !$DB->record_exists_select('course', 'shortname = ? AND id <> ?', [$args['shortname'], $courseid])) {
        $update['shortname'] = (string) $args['shortname'];
    }
    $update['visible'] = array_key_exists('visible', $args) ? (int) (bool) $args['visible'] : 1;
    update_course((object) $update);
    rebuild_course_cache($courseid, true);
    $course = $DB->get_record('course', ['id' => $courseid], 'id, shortname, fullname', MUST_EXIST);
    return "restored course {$course->shortname} (id {$course->id}): {$course->fullname}";
}

function mpc_op_installLanguagePack(array $args): string {
    global $CFG;
    // The host side unpacked each pack into $CFG->dataroot/lang/<code>: Moodle reads it from there.
    $installed = [];
    foreach ($args['languages'] as $code) {
        if (!file_exists("{$CFG->dataroot}/lang/$code/langconfig.php")) {
            throw new coding_exception("language pack '$code' has no langconfig.php: not a Moodle language pack");
        }
        $installed[] = $code;
    }
    get_string_manager()->reset_caches();
    if (!empty($args['setDefault']) && $installed) {
        global $DB;
        $old = $CFG->lang;
        set_config('lang', $installed[0]);
        $DB->set_field_select('user', 'lang', $installed[0], 'lang = ?', [$old]);
    }
    return 'languages ' . implode(', ', $installed) . (!empty($args['setDefault']) ? " (default {$installed[0]})" : '');
}
