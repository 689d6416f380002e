<?php
// Prepares the smoke crawl of one plugin inside the run's private site, with Moodle's own APIs,
// and says which pages a Moodle user would reach for it. Served for one request only (the crawl
// aliases this folder as /__mpc_smoke for that request), on the crawl's warm PHP server, so the
// pages after it find a warm engine. The arguments arrive in /mpc-run/smoke.json, written by
// moodle-plugin-check (never spliced into code, never in the URL):
//   { "component": "mod_board", "type": "mod", "name": "board", "webpath": "/mod/board",
//     "student": "mpcsmokestudent" }
// It prints one line `@@MPC-SMOKE@@{"pages":[…],"notes":[…]}` last; each page is
// { url, as: admin|student|guest, why, guessed? } (guessed: an entry point the plugin may not
// take without more parameters). A step that fails is a note with Moodle's message and where it
// was thrown; the other steps still run.

$mpcargs = json_decode((string) file_get_contents('/mpc-run/smoke.json'), true);
if (!is_array($mpcargs) || !isset($mpcargs['component'], $mpcargs['type'], $mpcargs['name'])) {
    http_response_code(400);
    echo "setup.php: no plugin given\n";
    exit;
}

require('/www/moodle/config.php');
require_once($CFG->libdir . '/adminlib.php');
require_once($CFG->dirroot . '/course/lib.php');
require_once($CFG->dirroot . '/course/modlib.php');
require_once($CFG->libdir . '/enrollib.php');
require_once($CFG->libdir . '/filterlib.php');
require_once($CFG->libdir . '/testing/generator/lib.php');
require_once($CFG->dirroot . '/user/lib.php');
require_once(__DIR__ . '/../../blueprint/ops_lib.php');

\core\session\manager::set_user(get_admin());

$component = (string) $mpcargs['component'];
$type = (string) $mpcargs['type'];
$name = (string) $mpcargs['name'];
$webpath = rtrim((string) ($mpcargs['webpath'] ?? ''), '/');
$pages = [];
$notes = [];

function mpc_page(array &$pages, string $url, string $as, string $why, bool $guessed = false): void {
    foreach ($pages as $p) {
        if ($p['url'] === $url && $p['as'] === $as) {
            return;
        }
    }
    $pages[] = ['url' => $url, 'as' => $as, 'why' => $why] + ($guessed ? ['guessed' => true] : []);
}

/** Runs one setup step; a failure becomes a note (what, Moodle's message, file:line) and null. */
function mpc_try(array &$notes, string $what, callable $fn) {
    try {
        return $fn();
    } catch (Throwable $e) {
        $message = $e->getMessage();
        if ($e instanceof moodle_exception && !empty($e->debuginfo)) {
            $message .= ' (' . trim($e->debuginfo) . ')';
        }
        $message = trim(preg_replace('/\s+/', ' ', strip_tags($message)));
        $notes[] = ['what' => $what, 'message' => $message, 'file' => $e->getFile(), 'line' => $e->getLine(),
            'trace' => array_map(fn($f) => ['file' => $f['file'] ?? '', 'line' => $f['line'] ?? 0],
                array_slice($e->getTrace(), 0, 20))];
        return null;
    }
}

/** Whether an admin page node belongs to the plugin (its own section, its settings, its URL). */
function mpc_admin_pages($node, string $component, string $section, string $webpath, array &$found): void {
    global $CFG;
    if ($node instanceof admin_category) {
        foreach ($node->children as $child) {
            mpc_admin_pages($child, $component, $section, $webpath, $found);
        }
    } else if ($node instanceof admin_settingpage) {
        $ours = $node->name === $section;
        foreach ($node->settings as $setting) {
            if ($setting->plugin === $component || strpos((string) $setting->name, $component . '_') === 0) {
                $ours = true;
            }
        }
        if ($ours) {
            $found[] = '/admin/settings.php?section=' . rawurlencode($node->name);
        }
    } else if ($node instanceof admin_externalpage) {
        $url = (string) $node->url;
        if (strpos($url, $CFG->wwwroot) === 0) {
            $url = substr($url, strlen($CFG->wwwroot));
        }
        if ($webpath !== '' && strpos($url, $webpath . '/') === 0) {
            $found[] = $url;
        }
    }
}

$generator = new testing_data_generator();

// The people and the course every crawl uses.
$student = mpc_try($notes, 'create the student', function () use ($mpcargs) {
    global $DB, $CFG;
    $username = (string) ($mpcargs['student'] ?? 'mpcsmokestudent');
    $user = $DB->get_record('user', ['username' => $username, 'mnethostid' => $CFG->mnet_localhost_id]);
    return $user ?: (object) ['id' => user_create_user((object) ['username' => $username, 'password' => 'Smoke-1-' .
        random_string(12), 'firstname' => 'Smoke', 'lastname' => 'Student', 'email' => $username . '@example.com',
        'auth' => 'manual', 'confirmed' => 1, 'mnethostid' => $CFG->mnet_localhost_id], true, false)];
});

$course = mpc_try($notes, $type === 'format' ? "create a course in format_$name" : 'create a course',
    function () use ($type, $name) {
        return create_course((object) ['fullname' => 'Smoke test course', 'shortname' => 'mpcsmoke' . time(),
            'category' => core_course_category::get_default()->id, 'summary' => 'A course made by moodle-plugin-check.',
            'summaryformat' => FORMAT_HTML, 'format' => $type === 'format' ? $name : 'topics', 'numsections' => 3]);
    });
if ($course && $student) {
    mpc_try($notes, 'enrol the student', function () use ($course, $student, $generator) {
        $generator->enrol_user($student->id, $course->id, 'student');
    });
}

// Admin settings: the plugin's own section and every page that holds its settings or is its page.
$plugininfo = core_plugin_manager::instance()->get_plugin_info($component);
$section = $plugininfo ? (string) $plugininfo->get_settings_section_name() : '';
$adminpages = [];
$tree = mpc_try($notes, 'load the admin settings tree', fn() => admin_get_root(true, true));
if ($tree) {
    mpc_admin_pages($tree, $component, $section, $webpath, $adminpages);
} else if ($section !== '') {
    // The tree did not load (often the plugin's settings.php): its page shows the error.
    $adminpages[] = '/admin/settings.php?section=' . rawurlencode($section);
}
foreach (array_slice(array_values(array_unique($adminpages)), 0, 8) as $url) {
    mpc_page($pages, $url, 'admin', 'admin settings');
}

$has = fn(string $rel): bool => file_exists(core_component::get_component_directory($component) . '/' . $rel);

switch ($type) {
    case 'mod':
        if (!$course) {
            break;
        }
        $cm = mpc_try($notes, "create a $component activity with its generator", function () use ($generator, $name, $course) {
            $instance = $generator->create_module($name, ['course' => $course->id]);
            return get_coursemodule_from_instance($name, $instance->id, $course->id, false, MUST_EXIST);
        });
        if (!$cm) {
            $cm = mpc_try($notes, "create a $component activity with add_moduleinfo()", function () use ($name, $course) {
                mpc_op_addModule(['module' => $name, 'course' => $course->shortname, 'name' => "Smoke test $name"]);
                $cms = get_fast_modinfo($course->id, -1)->get_instances_of($name);
                return $cms ? get_coursemodule_from_id($name, reset($cms)->id, 0, false, MUST_EXIST) : null;
            });
            if ($cm) {
                array_pop($notes); // The generator failed; add_moduleinfo() made one: say only the first.
            }
        }
        if ($cm) {
            mpc_page($pages, "/mod/$name/view.php?id={$cm->id}", 'admin', 'the activity');
            mpc_page($pages, "/mod/$name/view.php?id={$cm->id}", 'student', 'the activity as a student');
            mpc_page($pages, "/course/modedit.php?update={$cm->id}", 'admin', 'the activity settings form');
            mpc_page($pages, "/course/view.php?id={$course->id}", 'admin', 'the course page with the activity');
        }
        if (!$cm) {
            mpc_page($pages, "/course/modedit.php?add=$name&course={$course->id}&section=0", 'admin', 'the form to add an activity');
        }
        if ($has('index.php')) {
            mpc_page($pages, "/mod/$name/index.php?id={$course->id}", 'admin', 'the activities of the course');
        }
        break;

    case 'block':
        if (!blocks_name_allowed_in_format($name, 'course-view-topics') && $course) {
            $notes[] = ['what' => "add block_$name to a course", 'message' => 'its applicable_formats() do not allow course pages', 'skip' => true];
        } else if ($course) {
            $added = mpc_try($notes, "add block_$name to a course", function () use ($name, $course) {
                $page = new moodle_page();
                $page->set_course($course);
                $page->set_pagetype('course-view-' . $course->format);
                $page->blocks->add_region('side-pre');
                $page->blocks->add_block($name, 'side-pre', 0, false, 'course-view-*');
                return true;
            });
            if ($added) {
                mpc_page($pages, "/course/view.php?id={$course->id}", 'admin', 'the block on a course');
                mpc_page($pages, "/course/view.php?id={$course->id}", 'student', 'the block on a course as a student');
            }
        }
        if (blocks_name_allowed_in_format($name, 'my-index')) {
            $added = mpc_try($notes, "add block_$name to the dashboard", function () use ($name) {
                global $CFG, $USER;
                require_once($CFG->dirroot . '/my/lib.php');
                $mypage = my_copy_page($USER->id, MY_PAGE_PRIVATE);
                $page = new moodle_page();
                $page->set_context(context_user::instance($USER->id));
                $page->set_pagetype('my-index');
                $page->set_subpage($mypage->id);
                $page->blocks->add_region('content');
                $page->blocks->add_block($name, 'content', 0, false, 'my-index', $mypage->id);
                return true;
            });
            if ($added) {
                mpc_page($pages, '/my/', 'admin', 'the block on the dashboard');
            }
        }
        break;

    case 'filter':
        $cm = mpc_try($notes, "switch filter_$name on and make a page that runs it", function () use ($name, $course, $generator) {
            filter_set_global_state($name, TEXTFILTER_ON);
            $text = '<p>Smoke test text for the filter: a link https://moodle.org, an email smoke@example.com, '
                . 'a formula $$x^2$$, a word in <span lang="en" class="multilang">English</span>{mlang en}English{mlang}, '
                . 'and [[a glossary term]].</p>';
            $page = $generator->create_module('page', ['course' => $course->id, 'name' => 'Smoke filter page',
                'content' => $text, 'contentformat' => FORMAT_HTML, 'intro' => $text]);
            return get_coursemodule_from_instance('page', $page->id, $course->id, false, MUST_EXIST);
        });
        if ($cm) {
            mpc_page($pages, "/mod/page/view.php?id={$cm->id}", 'admin', 'a page the filter runs on');
            mpc_page($pages, "/mod/page/view.php?id={$cm->id}", 'student', 'a page the filter runs on, as a student');
            mpc_page($pages, "/course/view.php?id={$course->id}", 'admin', 'the course page with filtered text');
        }
        break;

    case 'format':
        if ($course) {
            mpc_page($pages, "/course/view.php?id={$course->id}", 'admin', "a course in format_$name");
            mpc_page($pages, "/course/view.php?id={$course->id}", 'student', "a course in format_$name as a student");
            mpc_page($pages, "/course/view.php?id={$course->id}&section=1", 'admin', 'one section of the course', true);
            mpc_page($pages, "/course/edit.php?id={$course->id}", 'admin', 'the course settings form with the format options');
        }
        break;

    case 'theme':
        mpc_try($notes, "make theme_$name the site theme", function () use ($name) {
            set_config('theme', $name);
            theme_reset_all_caches();
        });
        mpc_page($pages, '/', 'admin', 'the front page in the theme');
        mpc_page($pages, '/my/', 'admin', 'the dashboard in the theme');
        mpc_page($pages, '/login/index.php', 'guest', 'the login page in the theme');
        if ($course) {
            mpc_page($pages, "/course/view.php?id={$course->id}", 'student', 'a course in the theme, as a student');
        }
        break;

    case 'qtype':
        $question = mpc_try($notes, "create a qtype_$name question with its test helper", function () use ($generator, $name) {
            global $CFG;
            require_once($CFG->dirroot . '/question/engine/tests/helpers.php');
            $qgen = $generator->get_plugin_generator('core_question');
            $category = $qgen->create_question_category();
            return $qgen->create_question($name, null, ['category' => $category->id]);
        });
        if ($question) {
            mpc_page($pages, "/question/bank/previewquestion/preview.php?id={$question->id}", 'admin', 'a question preview');
        }
        break;

    case 'report':
        if ($has('index.php') && $course) {
            mpc_page($pages, "/report/$name/index.php?id={$course->id}", 'admin', 'the report of a course', true);
        }
        break;

    default:
        // Admin tools, local plugins and the like: their index page, when they have one.
        if ($has('index.php') && $webpath !== '') {
            mpc_page($pages, "$webpath/index.php", 'admin', 'the plugin’s index page', true);
        }
}

echo "\n@@MPC-SMOKE@@" . json_encode(['pages' => $pages, 'notes' => $notes,
    'course' => $course ? (int) $course->id : null]) . "\n";
