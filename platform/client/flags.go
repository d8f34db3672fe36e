package client

import (
	"flag"
	"os"

	"github.com/query4code/query4code/platform/config"
)

// RegisterFlags registers flags for dialing upstream services, named
// --<prefix>-token, --<prefix>-tls, --<prefix>-ca, --<prefix>-cert,
// --<prefix>-key and --<prefix>-server-name, with Q4C_<SERVICE>_<FLAG>
// environment fallbacks. The token falls back to Q4C_AUTH_TOKEN last, so one
// shared token configures a whole deployment.
func (c *Config) RegisterFlags(fs *flag.FlagSet, service, prefix string) {
	env := func(name string) string { return config.EnvName(service, prefix+"-"+name) }
	if c.Token == "" {
		c.Token = os.Getenv(config.EnvName("", "auth-token"))
	}
	config.EnvVar(fs, (*secretString)(&c.Token), prefix+"-token", env("token"),
		"bearer `token` sent to "+prefix+" services (falls back to Q4C_AUTH_TOKEN)")
	config.EnvBoolVar(fs, &c.TLS, prefix+"-tls", env("tls"), c.TLS, "dial "+prefix+" services with TLS (system roots)")
	config.EnvStringVar(fs, &c.CAFile, prefix+"-ca", env("ca"), c.CAFile, "PEM `file` of roots trusted for "+prefix+" services (implies TLS)")
	config.EnvStringVar(fs, &c.CertFile, prefix+"-cert", env("cert"), c.CertFile, "client certificate PEM `file` for mTLS")
	config.EnvStringVar(fs, &c.KeyFile, prefix+"-key", env("key"), c.KeyFile, "client key PEM `file` for mTLS")
	config.EnvStringVar(fs, &c.ServerName, prefix+"-server-name", env("server-name"), c.ServerName,
		"`name` expected in the "+prefix+" services' certificates")
}

// secretString is a string flag whose String hides the value, so -help never
// prints a token taken from the environment.
type secretString string

func (s *secretString) String() string {
	if s == nil || *s == "" {
		return ""
	}
	return "<redacted>"
}

func (s *secretString) Set(v string) error {
	*s = secretString(v)
	return nil
}
