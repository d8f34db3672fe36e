'use strict';

/**
 * Turns a note title into display form: trimmed, inner whitespace collapsed,
 * first letter upper-cased.
 */
function formatTitle(title) {
	const words = title.trim().split(/\s+/);
	const text = words.join(' ');
	return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Shortens a note body to at most `limit` characters, ending on a whole word.
 */
function excerpt(body, limit) {
	if (body.length <= limit) {
		return body;
	}
	const cut = body.slice(0, limit);
	const lastSpace = cut.lastIndexOf(' ');
	return (lastSpace > 0 ? cut.slice(0, lastSpace) : cut) + '…';
}

exports.formatTitle = formatTitle;
exports.excerpt = excerpt;
