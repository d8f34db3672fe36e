import greet from './greet.js';
import Widget from './widget';

greet('x');
new Widget().draw();
// WANT: main -> greet.default
// WANT: main -> widget.Widget.constructor
// WANT: main -> widget.Widget.draw
