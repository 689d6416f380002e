/**
 * Core subsystem names (the `subsystems` keys of lib/components.json), union of Moodle 4.1, 4.5,
 * 5.0 and 5.2. Our own data; a subplugin type may not use one of these names
 * (core_component::fetch_subtypes skips it with "duplicates core subsystem").
 */
export const CORE_SUBSYSTEMS: ReadonlySet<string> = new Set(
  (
    'access admin adminpresets ai analytics antivirus auth availability backup badges block blog bulkusers cache ' +
    'calendar cohort comment communication competency completion contentbank countries course courseformat ' +
    'currencies customfield dbtransfer debug editor edufields enrol error external favourites fileconverter ' +
    'filepicker files filters form grades grading group h5p help hub imscc install iso6392 langconfig license ' +
    'mathslib media message mimetypes mnet my notes pagetype payment pix plagiarism plugin portfolio privacy ' +
    'question rating report reportbuilder repository role rss search sms table tag timezones user userkey ' +
    'webservice xapi'
  ).split(' '),
);
