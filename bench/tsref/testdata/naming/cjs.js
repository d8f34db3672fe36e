'use strict';
// CommonJS naming rules; each comment names the function id the line defines.
var shapes = require('./shapes');
var lib = require('./util/lib');

var helper = function other(x) { return lib.twice(x); }; // cjs.helper (the binding names it)
const arrow = (x) => helper(x); // cjs.arrow

var obj = {
  m() { return arrow(1); }, // cjs.obj.m
  f: function () { return obj.m(); }, // cjs.obj.f
  g: () => helper(2), // cjs.obj.g
  get p() { return helper(3); }, // cjs.obj.p
  nested: { deep() { return helper(4); } }, // cjs.obj.nested.deep
};

exports.exp = function (y) { return obj.f(y); }; // cjs.exp
module.exports.exp2 = (z) => exports.exp(z); // cjs.exp2

function outer() { // cjs.outer
  function inner() { return helper(5); } // cjs.outer.inner
  [1, 2].forEach(function () { inner(); }); // the callback's call belongs to cjs.outer
  return inner();
}

var table = (function () { return outer(); }()); // an IIFE: its call belongs to the module

new shapes.Square(2).area();
new shapes.Plain();
