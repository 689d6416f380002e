<?php
// Served for one request only, during a blueprint `login` step (moodle-plugin-check aliases this
// folder as /__mpc_blueprint for that request): logs the user in with Moodle's own
// complete_user_login(), so the response's MoodleSession cookie is a real session that later
// `request` steps send. The username arrives in a JSON file, never in the URL or the code.

require('/www/moodle/config.php');

$args = json_decode((string) file_get_contents('/mpc-run/login.json'), true);
$user = $DB->get_record('user', ['username' => (string) ($args['username'] ?? ''), 'deleted' => 0,
    'mnethostid' => $CFG->mnet_localhost_id]);
header('Content-Type: application/json');
if (!$user) {
    http_response_code(404);
    echo json_encode(['ok' => false, 'error' => 'no user with username ' . ($args['username'] ?? '')]);
    exit;
}
complete_user_login($user);
echo json_encode(['ok' => true, 'user' => $user->username, 'userid' => (int) $user->id]);
