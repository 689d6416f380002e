<?php
// The blueprint operations run by ops.php. Each takes the step's (validated, JSON-decoded)
// arguments, uses Moodle's APIs, throws on failure (Moodle's own exception when it has one) and
// returns a one-line summary for the report.

defined('MOODLE_INTERNAL') || die();

/** A course by shortname, cached for the batch. */
function mpc_course(string $shortname): stdClass {
    global $DB;
    static $cache = [];
    if (!isset($cache[$shortname])) {
        $course = $DB->get_record('course', ['shortname' => $shortname]);
        if (!$course) {
            throw new moodle_exception('invalidcourse', 'error', '', null,
                "no course with shortname '$shortname' (create it first with createCourse)");
        }
        $cache[$shortname] = $course;
    }
    return $cache[$shortname];
}

function mpc_user(string $username): stdClass {
    global $DB, $CFG;
    $user = $DB->get_record('user', ['username' => $username, 'deleted' => 0,
        'mnethostid' => $CFG->mnet_localhost_id]);
    if (!$user) {
        throw new moodle_exception('invaliduser', 'error', '', null,
            "no user with username '$username' (create it first with createUser)");
    }
    return $user;
}

function mpc_category_id(?string $name): int {
    global $DB;
    if ($name === null || $name === '') {
        return (int) core_course_category::get_default()->id;
    }
    $ids = $DB->get_fieldset_select('course_categories', 'id', 'name = ?', [$name]);
    if (count($ids) === 0) {
        throw new moodle_exception('invalidcategoryid', 'error', '', null,
            "no course category named '$name' (create it first with createCategory)");
    }
    return (int) reset($ids);
}

function mpc_string($value): string {
    if (is_bool($value)) {
        return $value ? '1' : '0';
    }
    if ($value === null) {
        return '';
    }
    return is_scalar($value) ? (string) $value : json_encode($value);
}

function mpc_op_runtime(array $args): string {
    $done = [];
    foreach (['debug', 'debugdisplay'] as $name) {
        if (array_key_exists($name, $args)) {
            set_config($name, (int) $args[$name]);
            $done[] = "$name=" . (int) $args[$name];
        }
    }
    return 'runtime: ' . implode(', ', $done);
}

function mpc_op_installMoodle(array $args): string {
    global $DB;
    $options = $args['options'] ?? [];
    $notes = [];
    if (isset($options['siteName'])) {
        $DB->set_field('course', 'fullname', (string) $options['siteName'], ['id' => SITEID]);
        $notes[] = 'site name set';
    }
    $account = array_filter([
        'username' => $options['adminUser'] ?? null,
        'password' => $options['adminPass'] ?? null,
        'email' => $options['adminEmail'] ?? null,
    ], fn($v) => $v !== null);
    if ($account) {
        $notes[] = mpc_op_setAdminAccount($account);
    }
    if (isset($options['timezone'])) {
        set_config('timezone', (string) $options['timezone']);
        $notes[] = 'timezone ' . $options['timezone'];
    }
    if (isset($options['locale']) && $options['locale'] !== 'en') {
        $lang = (string) $options['locale'];
        if (get_string_manager()->translation_exists($lang, false)) {
            set_config('lang', $lang);
            $notes[] = "language $lang";
        } else {
            // Language packs are downloads; the headless site has none. Said, not hidden.
            $notes[] = "language pack '$lang' is not installed here, site language stays en";
        }
    }
    return 'Moodle is installed by the provision phase' . ($notes ? '; ' . implode('; ', $notes) : '');
}

function mpc_op_setAdminAccount(array $args): string {
    global $DB, $CFG;
    $admin = get_admin();
    $changed = [];
    if (isset($args['username']) && $args['username'] !== $admin->username) {
        $username = (string) $args['username'];
        if ($username !== core_text::strtolower($username) || clean_param($username, PARAM_USERNAME) !== $username) {
            throw new moodle_exception('invalidusername', 'error', '', null, "'$username' is not a valid Moodle username");
        }
        if ($DB->record_exists('user', ['username' => $username, 'mnethostid' => $CFG->mnet_localhost_id])) {
            throw new moodle_exception('usernameexists', 'error', '', null, "username '$username' is taken");
        }
        $admin->username = $username;
        $changed[] = 'username';
    }
    foreach (['email', 'firstname', 'lastname'] as $field) {
        if (isset($args[$field])) {
            $admin->$field = (string) $args[$field];
            $changed[] = $field;
        }
    }
    if ($changed) {
        user_update_user($admin, false, false);
    }
    if (isset($args['password'])) {
        update_internal_user_password($DB->get_record('user', ['id' => $admin->id]), (string) $args['password']);
        $changed[] = 'password';
    }
    return 'admin account: ' . ($changed ? implode(', ', $changed) . ' updated' : 'unchanged');
}

function mpc_op_setConfigs(array $args): string {
    $names = [];
    foreach ($args['configs'] as $c) {
        $plugin = isset($c['plugin']) && $c['plugin'] !== '' ? (string) $c['plugin'] : null;
        set_config((string) $c['name'], mpc_string($c['value'] ?? ''), $plugin);
        $names[] = ($plugin ? "$plugin/" : '') . $c['name'];
    }
    return 'set ' . implode(', ', $names);
}

function mpc_op_createUsers(array $args): string {
    global $CFG, $DB;
    $columns = $DB->get_columns('user');
    // As in Moodle Playground: blueprint users (default password "password") skip the site's
    // password policy, for this call only (nothing is stored).
    $CFG->passwordpolicy = 0;
    $ids = [];
    foreach ($args['users'] as $u) {
        $user = new stdClass();
        foreach ($u as $key => $value) {
            // Known user fields only: the rest of a step (e.g. a comment) is not a column.
            if (isset($columns[$key]) && $key !== 'id') {
                $user->$key = mpc_string($value);
            }
        }
        $user->password = mpc_string($u['password'] ?? 'password');
        $user->email = $user->email ?? ($u['username'] . '@example.com');
        $user->firstname = $user->firstname ?? $u['username'];
        $user->lastname = $user->lastname ?? 'User';
        $user->auth = $user->auth ?? 'manual';
        $user->confirmed = 1;
        $user->mnethostid = $CFG->mnet_localhost_id;
        $ids[] = user_create_user($user, true, false);
    }
    return 'created ' . count($ids) . ' user(s): ' . implode(', ', array_column($args['users'], 'username'));
}

function mpc_op_createCategories(array $args): string {
    $names = [];
    foreach ($args['categories'] as $c) {
        $data = new stdClass();
        $data->name = (string) $c['name'];
        $data->description = (string) ($c['description'] ?? '');
        $data->descriptionformat = FORMAT_HTML;
        if (isset($c['idnumber'])) {
            $data->idnumber = (string) $c['idnumber'];
        }
        if (isset($c['parent']) && $c['parent'] !== '') {
            $data->parent = mpc_category_id((string) $c['parent']);
        }
        $cat = core_course_category::create($data);
        $names[] = $cat->name . ' (id ' . $cat->id . ')';
    }
    return 'created ' . implode(', ', $names);
}

function mpc_op_createCourses(array $args): string {
    $names = [];
    foreach ($args['courses'] as $c) {
        $data = new stdClass();
        $data->fullname = (string) $c['fullname'];
        $data->shortname = (string) $c['shortname'];
        $data->category = mpc_category_id(isset($c['category']) ? (string) $c['category'] : null);
        $data->summary = (string) ($c['summary'] ?? '');
        $data->summaryformat = FORMAT_HTML;
        $data->format = (string) ($c['format'] ?? 'topics');
        $data->numsections = (int) ($c['numsections'] ?? 5);
        $data->visible = (int) ($c['visible'] ?? 1);
        foreach (['idnumber', 'startdate', 'enddate', 'lang'] as $field) {
            if (isset($c[$field])) {
                $data->$field = $c[$field];
            }
        }
        $course = create_course($data);
        $names[] = $course->shortname . ' (id ' . $course->id . ')';
    }
    return 'created ' . implode(', ', $names);
}

function mpc_op_createSections(array $args): string {
    $made = [];
    foreach ($args['sections'] as $s) {
        $course = mpc_course((string) $s['course']);
        $section = course_create_section($course, (int) ($s['position'] ?? 0));
        if (isset($s['name']) && $s['name'] !== '') {
            course_update_section($course, $section, ['name' => (string) $s['name']]);
        }
        $made[] = $course->shortname . ' #' . $section->section;
    }
    return 'created section(s) ' . implode(', ', $made);
}

function mpc_op_enrolUsers(array $args): string {
    global $DB;
    $manual = enrol_get_plugin('manual');
    if (!$manual) {
        throw new moodle_exception('enrolnotinstalled', 'enrol', '', null, 'enrol_manual is not enabled');
    }
    $instances = [];
    $roles = [];
    foreach ($args['enrolments'] as $e) {
        $course = mpc_course((string) $e['course']);
        $user = mpc_user((string) $e['username']);
        $role = (string) ($e['role'] ?? 'student');
        if (!isset($roles[$role])) {
            $roles[$role] = $DB->get_field('role', 'id', ['shortname' => $role]);
            if (!$roles[$role]) {
                throw new moodle_exception('invalidroleid', 'error', '', null, "no role with shortname '$role'");
            }
        }
        if (!isset($instances[$course->id])) {
            $instance = $DB->get_record('enrol', ['courseid' => $course->id, 'enrol' => 'manual']);
            if (!$instance) {
                $id = $manual->add_default_instance($course);
                $instance = $DB->get_record('enrol', ['id' => $id], '*', MUST_EXIST);
            }
            $instances[$course->id] = $instance;
        }
        $manual->enrol_user($instances[$course->id], $user->id, $roles[$role]);
    }
    return 'enrolled ' . count($args['enrolments']) . ' user(s)';
}

function mpc_op_addModule(array $args): string {
    global $DB, $USER;
    $name = (string) $args['module'];
    $course = mpc_course((string) $args['course']);
    $module = $DB->get_record('modules', ['name' => $name]);
    if (!$module) {
        throw new moodle_exception('moduledoesnotexist', 'error', '', null,
            "activity module '$name' is not installed (install it first with installMoodlePlugin)");
    }
    $info = new stdClass();
    // What the module's form would submit: the table's column defaults first (add_instance
    // callbacks expect a complete record), then the standard fields, then the step's extras.
    foreach ($DB->get_columns($name) as $column) {
        if ($column->has_default && $column->name !== 'id') {
            $info->{$column->name} = $column->default_value;
        }
    }
    $info->modulename = $name;
    $info->module = $module->id;
    $info->course = $course->id;
    $info->section = (int) ($args['section'] ?? 0);
    $info->name = (string) ($args['name'] ?? $name);
    $info->intro = (string) ($args['intro'] ?? '');
    $info->introformat = FORMAT_HTML;
    $info->visible = (int) ($args['visible'] ?? 1);
    $info->visibleoncoursepage = 1;
    $info->cmidnumber = '';
    $info->groupmode = 0;
    $info->groupingid = 0;
    $info->availability = null;
    $info->completion = 0;
    foreach (($args['extra'] ?? []) as $key => $value) {
        $info->$key = is_array($value) ? $value : mpc_string($value);
    }
    $info = add_moduleinfo($info, $course);
    $stored = 0;
    if (!empty($args['files'])) {
        $context = context_module::instance($info->coursemodule);
        $fs = get_file_storage();
        foreach ($args['files'] as $f) {
            $fs->create_file_from_pathname([
                'contextid' => $context->id,
                'component' => 'mod_' . $name,
                'filearea' => (string) ($f['filearea'] ?? 'content'),
                'itemid' => (int) ($f['itemid'] ?? 0),
                'filepath' => (string) ($f['filepath'] ?? '/'),
                'filename' => (string) $f['filename'],
                'userid' => $USER->id,
            ], (string) $f['source']);
            $stored++;
        }
    }
    return "added $name '" . $info->name . "' to " . $course->shortname . ' (cmid ' . $info->coursemodule . ')'
        . ($stored ? ", $stored file(s)" : '');
}
