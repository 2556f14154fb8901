// Package policydiff shows the behavioural difference between two
// policies: it decides the same calls under both and reports every call
// whose decision changes. The calls are the union of both policies'
// scenarios plus calls generated from the tool annotations, probing each
// resource argument with values the rules mention and values they do not.
//
// It runs the real engine on trusted artifacts; it forwards nothing.
package policydiff
