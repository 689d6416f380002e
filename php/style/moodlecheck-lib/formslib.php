<?php
// moodle-plugin-check: moodlecheck's locallib.php declares its web form on moodleform; the
// checks never use it, so an empty class is all Moodle's formslib has to give here.
class moodleform {
}
