// Package e2e holds end-to-end tests that run the services as separate
// processes (see processtest) against fakellm, as they run in production.
package e2e
