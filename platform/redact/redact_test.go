package redact

import (
	"strings"
	"testing"
)

func TestTextRedactsSecrets(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		secret string // must be gone from the output
		kind   string
	}{
		{"openai key", `client = OpenAI(api_key="sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z")`, "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z", "openai_key"},
		{"openai legacy key", `KEY = 'sk-1234567890abcdefghijklmnopqrstuvwxyzABCDEFGH'`, "sk-1234567890abcdefghijklmnopqrstuvwxyzABCDEFGH", "openai_key"},
		{"anthropic key", `headers = {"x-api-key": "sk-ant-api03-AbCdEf0123456789_ghIJKLmnop-qrstuv"}`, "sk-ant-api03-AbCdEf0123456789_ghIJKLmnop-qrstuv", "anthropic_key"},
		{"github pat classic", `token = "ghp_0123456789abcdefghijABCDEFGHIJ012345"`, "ghp_0123456789abcdefghijABCDEFGHIJ012345", "github_token"},
		{"github fine grained", `g = Github("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz")`, "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_token"},
		{"slack bot token", `SLACK = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"`, "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "slack_token"},
		{"slack webhook", `url = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"`, "T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", "slack_webhook"},
		{"google api key", `gmaps = googlemaps.Client(key="AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW")`, "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW", "google_api_key"},
		{"aws access key id", `aws_access_key_id = AKIAIOSFODNN7EXAMPLE`, "AKIAIOSFODNN7EXAMPLE", "aws_access_key_id"},
		{"aws secret key", `aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"`, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key"},
		{"aws secret env", `AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key"},
		{"bearer header", `headers = {"Authorization": "Bearer abcdef0123456789ABCDEF.ghij"}`, "abcdef0123456789ABCDEF.ghij", "bearer_token"},
		{"basic auth header", `req.headers["Authorization: Basic dXNlcjpwYXNzd29yZDEyMw=="]`, "dXNlcjpwYXNzd29yZDEyMw==", "basic_auth"},
		{"jwt", `tok = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"`, "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "jwt"},
		{"private key block", "KEY = \"\"\"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7x\nabc\n-----END RSA PRIVATE KEY-----\"\"\"", "MIIEowIBAAKCAQEA7x", "private_key"},
		{"openssh private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----", "b3BlbnNzaC1rZXktdjEAAAAA", "private_key"},
		{"unterminated private key", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEF", "MIIEvQIBADANBgkqhkiG9w0BAQEF", "private_key"},
		{"postgres url", `engine = create_engine("postgresql://admin:s3cr3t-Pa55@db.example.com:5432/app")`, "s3cr3t-Pa55", "url_password"},
		{"redis url empty user", `r = redis.from_url("redis://:hunter2hunter2@cache:6379/0")`, "hunter2hunter2", "url_password"},
		{"mongodb srv url", `MONGO = "mongodb+srv://app:Qw3rty!@cluster0.mongodb.net/test"`, "Qw3rty!", "url_password"},
		{"ado connection string", `cs = "Server=tcp:db;Database=app;User Id=sa;Password=P@ssw0rd1;Encrypt=true"`, "P@ssw0rd1", "connection_string_password"},
		{"password assignment", `password = "hunter2!"`, "hunter2!", "secret_assignment"},
		{"javascript template literal", "export const DB_PASSWORD = `s3cr3t-pass-9`;", "s3cr3t-pass-9", "secret_assignment"},
		{"typescript annotated binding", `let secret: string = "hunter2-hunter2";`, "hunter2-hunter2", "secret_assignment"},
		{"typescript annotated field", `  private apiKey: string = 'k3y-v4lue-0001';`, "k3y-v4lue-0001", "secret_assignment"},
		{"password in dict", `config = {"db_password": "correct-horse-battery"}`, "correct-horse-battery", "secret_assignment"},
		{"django secret key", `SECRET_KEY = 'django-insecure-9x$k!2m@q'`, "django-insecure-9x$k!2m@q", "secret_assignment"},
		{"camel case token", `this.authToken = "a1b2c3d4e5f6"`, "a1b2c3d4e5f6", "secret_assignment"},
		{"keyword argument", `connect(host="db", password="Tr0ub4dor&3")`, "Tr0ub4dor&3", "secret_assignment"},
		{"hardcoded comparison", `if password == "letmein123":`, "letmein123", "secret_assignment"},
		{"env file line", "DB_PASSWORD=hunter2\nDEBUG=1", "hunter2", "secret_assignment"},
		{"yaml line", "database:\n  password: s3cr3tValue9\n", "s3cr3tValue9", "secret_assignment"},
		{"commented env line", "# API_TOKEN=abcd1234efgh", "abcd1234efgh", "secret_assignment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Text(tt.in)
			if strings.Contains(got.Text, tt.secret) {
				t.Fatalf("secret %q still present in %q", tt.secret, got.Text)
			}
			if got.Count < 1 {
				t.Fatalf("Count = %d, want >= 1", got.Count)
			}
			if got.ByKind[tt.kind] < 1 {
				t.Fatalf("kinds = %v, want %s", got.Kinds(), tt.kind)
			}
			if !strings.Contains(got.Text, "[REDACTED:"+tt.kind+"]") {
				t.Fatalf("placeholder for %s missing in %q", tt.kind, got.Text)
			}
		})
	}
}

func TestTextKeepsNonSecrets(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"password prompt", `password = input("Password: ")`},
		{"password from env", `password = os.environ["DB_PASSWORD"]`},
		{"env get with default name", `api_key = os.environ.get("OPENAI_API_KEY")`},
		{"getpass", `pwd = getpass.getpass()`},
		{"keyword from variable", `connect(host=host, password=password)`},
		{"multiline call argument", "conn = connect(\n    password=password,\n)"},
		{"type annotation", "class Config:\n    password: str\n    token: Optional[str] = None\n"},
		{"token type constant", `TOKEN_TYPE = "identifier"`},
		{"sort key", `items.sort(key="name")`},
		{"sort key variable", `sort_key = "created_at"`},
		{"tokenizer", `tokens = text.split(); token = "("`},
		{"empty password", `password = ""`},
		{"short password placeholder", `password = "pw"`},
		{"template placeholder", `password = "${DB_PASSWORD}"`},
		{"javascript template placeholder", "const password = `${process.env.DB_PASSWORD}`;"},
		{"typescript annotated non-secret", `let username: string = "admin-user";`},
		{"typescript secret type only", `let name: Secret = "plain-value";`},
		{"format placeholder", `url = "postgresql://{user}:{password}@{host}/{db}"`},
		{"url template password", `"https://user:${TOKEN}@github.com/org/repo.git"`},
		{"url without credentials", `requests.get("https://example.com:8080/path?q=1")`},
		{"email address", `send("alice@example.com")`},
		{"git ssh remote", `remote = "git@github.com:org/repo.git"`},
		{"sklearn", `import sklearn  # sk-learn-compatible-estimators-and-more`},
		{"sha1 hash", `commit = "3f786850e387550fdab836ed7e6dc881de23001b"`},
		{"uuid", `request_id = "123e4567-e89b-12d3-a456-426614174000"`},
		{"bearer word in prose", `"""Use a bearer token from the config."""`},
		{"password hash name", `password_hash = "pbkdf2"`},
		{"function mentioning secrets", "def get_password(self):\n    return self._password\n"},
		{"docstring about keys", `"""Return the API key used to sign requests."""`},
		{"already redacted", `password = "[REDACTED:secret_assignment]"`},
		{"aws example name only", `aws_access_key_id = os.getenv("AWS_ACCESS_KEY_ID")`},
		{"private key argument", `def sign(data, private_key):`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Text(tt.in)
			if got.Count != 0 || got.Text != tt.in {
				t.Fatalf("redacted %d (%v): %q -> %q", got.Count, got.Kinds(), tt.in, got.Text)
			}
		})
	}
}

func TestTextIsIdempotent(t *testing.T) {
	in := "password = \"hunter2!\"\nKEY = 'sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z'\n" +
		"DB = \"postgres://u:p4ssw0rd@h/db\"\n-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n"
	first := Text(in)
	if first.Count != 4 {
		t.Fatalf("first pass Count = %d (%v), want 4", first.Count, first.Kinds())
	}
	second := Text(first.Text)
	if second.Count != 0 || second.Text != first.Text {
		t.Fatalf("second pass changed text: %d %q", second.Count, second.Text)
	}
}

func TestStringCountsEveryOccurrence(t *testing.T) {
	in := `a = "AKIAIOSFODNN7EXAMPLE"; b = "AKIAI44QH8DHBEXAMPLE"`
	out, n := String(in)
	if n != 2 {
		t.Fatalf("count = %d, want 2: %q", n, out)
	}
	if strings.Count(out, "[REDACTED:aws_access_key_id]") != 2 {
		t.Fatalf("unexpected output %q", out)
	}
}

func FuzzText(f *testing.F) {
	f.Add(`password = "hunter2!"`)
	f.Add("-----BEGIN PRIVATE KEY-----\nabc")
	f.Add("postgres://u:p@h")
	f.Fuzz(func(t *testing.T, in string) {
		first := Text(in)
		if first.Count < 0 {
			t.Fatal("negative count")
		}
		second := Text(first.Text)
		if second.Count != 0 {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, first.Text, second.Text)
		}
	})
}

func BenchmarkText(b *testing.B) {
	code := strings.Repeat("def f(x):\n    \"\"\"Add one.\"\"\"\n    return x + 1  # password handling elsewhere\n", 200)
	b.SetBytes(int64(len(code)))
	for b.Loop() {
		Text(code)
	}
}
