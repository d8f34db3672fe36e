'use strict';

const {htmlEscape} = require('escape-goat');
const {formatTitle, excerpt} = require('./format');

/**
 * Renders one note as an HTML list item. The title and the body come from
 * users, so both are escaped before they reach the page.
 */
function renderNote(note, limit) {
	const title = htmlEscape(formatTitle(note.title));
	const body = htmlEscape(excerpt(note.body, limit));
	return `<li><strong>${title}</strong> ${body}</li>`;
}

/**
 * Renders a list of notes as an HTML unordered list, newest first.
 */
function renderNotes(notes, limit) {
	const sorted = [...notes].sort((a, b) => b.created - a.created);
	const items = [];
	for (const note of sorted) {
		items.push(renderNote(note, limit));
	}
	return `<ul class="notes">${items.join('')}</ul>`;
}

module.exports = {renderNote, renderNotes};
