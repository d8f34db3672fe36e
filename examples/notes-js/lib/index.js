'use strict';

const fs = require('fs');
const {renderNotes} = require('./render');

/**
 * Reads notes from a JSON file and writes them as an HTML page fragment.
 */
function buildPage(notesPath, outPath) {
	const notes = JSON.parse(fs.readFileSync(notesPath, 'utf8'));
	const html = renderNotes(notes, 140);
	fs.writeFileSync(outPath, html);
	return html.length;
}

module.exports = buildPage;
