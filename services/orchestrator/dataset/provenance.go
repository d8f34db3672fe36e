package dataset

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	parserv1 "github.com/query4code/query4code/proto/gen/go/query4code/parser/v1"
)

// Provenance says where a source's code lives in terms that hold on any machine: the repository
// (its git remote URL in https form, or a directory name) and the source's directory inside it.
// Records name their repo, path and id through it, so no output field holds a local path.
type Provenance struct {
	// Repo is the https URL of the repository's remote, or, without a usable one, the name of the
	// repository's directory (the git work tree's root, or the source directory itself).
	Repo string
	// Subdir is the source's directory relative to the repository root, slash-separated; empty when
	// the source is the repository root.
	Subdir string
	// Commit is the HEAD commit of the local git work tree holding the source, read from its git
	// directory (linked work trees included); empty for git sources and outside git.
	Commit string
}

// Name names the source: Repo, followed by "/Subdir" for a source inside a repository. Two sources
// of one job have different names unless they are the same directory of the same repository.
func (p Provenance) Name() string {
	if p.Subdir == "" {
		return p.Repo
	}
	return p.Repo + "/" + p.Subdir
}

// Path turns a path relative to the source directory into one relative to the repository root.
func (p Provenance) Path(rel string) string {
	if p.Subdir == "" {
		return rel
	}
	return path.Join(p.Subdir, rel)
}

// ID is the record id of a function of the source: "<Name>:<function id>".
func (p Provenance) ID(function string) string {
	return p.Name() + ":" + function
}

// SourceProvenance describes a source. A git source is its URL (credentials and ".git" dropped). A
// local directory inside a git work tree is the work tree's remote ("origin" first) with the
// directory relative to the work tree's root; a work tree without a usable remote (none, or one that
// is a local path) goes by its root directory's name; a directory outside any work tree goes by its
// own name. The directory is read on this machine: one this process cannot see goes by its name.
func SourceProvenance(src *parserv1.Source) Provenance {
	switch k := src.GetKind().(type) {
	case *parserv1.Source_Git:
		if repo := PortableRemote(k.Git.GetUrl()); repo != "" {
			return Provenance{Repo: repo}
		}
		return Provenance{Repo: strings.TrimSuffix(path.Base(k.Git.GetUrl()), ".git")}
	case *parserv1.Source_LocalPath:
		return localProvenance(k.LocalPath)
	}
	return Provenance{}
}

func localProvenance(dir string) Provenance {
	dir = filepath.Clean(dir)
	if resolved, err := filepath.EvalSymlinks(dir); err == nil {
		dir = resolved
	}
	root, gitDir := findWorkTree(dir)
	if root == "" {
		return Provenance{Repo: filepath.Base(dir)}
	}
	p := Provenance{Repo: filepath.Base(root)}
	if rel, err := filepath.Rel(root, dir); err == nil && rel != "." {
		p.Subdir = filepath.ToSlash(rel)
	}
	commonDir := commonGitDir(gitDir)
	if remote := PortableRemote(remoteURL(commonDir)); remote != "" {
		p.Repo = remote
	}
	p.Commit = headCommit(gitDir, commonDir)
	return p
}

// commonGitDir is the directory holding a git directory's config, refs and objects: the git
// directory itself, or for a linked work tree the one its "commondir" file names.
func commonGitDir(gitDir string) string {
	data, err := os.ReadFile(filepath.Join(gitDir, "commondir"))
	if err != nil {
		return gitDir
	}
	common := strings.TrimSpace(string(data))
	if !filepath.IsAbs(common) {
		common = filepath.Join(gitDir, common)
	}
	return common
}

// headCommit resolves HEAD of a git directory to a commit id through loose and packed refs; "" when
// it cannot (no commit yet, or an unreadable directory).
func headCommit(gitDir, commonDir string) string {
	data, err := os.ReadFile(filepath.Join(gitDir, "HEAD"))
	if err != nil {
		return ""
	}
	head := strings.TrimSpace(string(data))
	ref, symbolic := strings.CutPrefix(head, "ref: ")
	if !symbolic {
		return commitID(head)
	}
	ref = strings.TrimSpace(ref)
	for _, dir := range []string{gitDir, commonDir} {
		if data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(ref))); err == nil {
			return commitID(strings.TrimSpace(string(data)))
		}
	}
	packed, err := os.ReadFile(filepath.Join(commonDir, "packed-refs"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(packed), "\n") {
		if id, name, ok := strings.Cut(strings.TrimSpace(line), " "); ok && name == ref {
			return commitID(id)
		}
	}
	return ""
}

// commitID returns s when it is a hex object id (SHA-1 or SHA-256), else "".
func commitID(s string) string {
	if len(s) != 40 && len(s) != 64 {
		return ""
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return ""
		}
	}
	return s
}

// findWorkTree returns the root of the git work tree holding dir and its git directory, or "".
func findWorkTree(dir string) (root, gitDir string) {
	for cur := dir; ; {
		dotGit := filepath.Join(cur, ".git")
		if info, err := os.Stat(dotGit); err == nil {
			if info.IsDir() {
				return cur, dotGit
			}
			// A linked work tree or a submodule: ".git" is a file saying "gitdir: <dir>".
			if data, err := os.ReadFile(dotGit); err == nil {
				if target, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "gitdir:"); ok {
					target = strings.TrimSpace(target)
					if !filepath.IsAbs(target) {
						target = filepath.Join(cur, target)
					}
					return cur, target
				}
			}
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return "", ""
		}
		cur = parent
	}
}

// remoteURL reads the URL of the "origin" remote, or of the first remote by name, from the config
// of a (common) git directory. "" when there is none.
func remoteURL(commonDir string) string {
	f, err := os.Open(filepath.Join(commonDir, "config"))
	if err != nil {
		return ""
	}
	defer func() { _ = f.Close() }()
	remotes := map[string]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			section = strings.TrimSuffix(strings.TrimPrefix(line, "["), "]")
		default:
			name, ok := strings.CutPrefix(section, "remote ")
			key, value, found := strings.Cut(line, "=")
			if !ok || !found || !strings.EqualFold(strings.TrimSpace(key), "url") {
				continue
			}
			name = strings.Trim(strings.TrimSpace(name), `"`)
			if _, seen := remotes[name]; !seen {
				remotes[name] = strings.Trim(strings.TrimSpace(value), `"`)
			}
		}
	}
	if u, ok := remotes["origin"]; ok {
		return u
	}
	names := make([]string, 0, len(remotes))
	for name := range remotes {
		names = append(names, name)
	}
	slices.Sort(names)
	if len(names) == 0 {
		return ""
	}
	return remotes[names[0]]
}

// PortableRemote turns a git remote URL into the https form records carry: scp-like
// "git@host:owner/repo.git" and ssh://, git:// URLs become "https://host/owner/repo"; credentials,
// ports of ssh URLs, a trailing ".git" and "/" are dropped. A remote that is a local path or a file://
// URL has no portable form: "".
func PortableRemote(remote string) string {
	remote = strings.TrimSpace(remote)
	if remote == "" {
		return ""
	}
	if !strings.Contains(remote, "://") {
		// scp-like syntax: [user@]host:path, where host has no slash before the colon.
		host, p, ok := strings.Cut(remote, ":")
		if !ok || strings.Contains(host, "/") || strings.HasPrefix(p, "//") || len(host) < 2 {
			return "" // a local path (a one-letter "host" is a Windows drive)
		}
		if at := strings.LastIndex(host, "@"); at >= 0 {
			host = host[at+1:]
		}
		return trimRepoPath("https://" + host + "/" + strings.TrimPrefix(p, "/"))
	}
	u, err := url.Parse(remote)
	if err != nil || u.Host == "" {
		return ""
	}
	switch u.Scheme {
	case "https", "http":
	case "ssh", "git", "git+ssh", "ssh+git":
		u.Scheme = "https"
		u.Host = u.Hostname()
	default:
		return ""
	}
	u.User = nil
	u.RawQuery, u.Fragment = "", ""
	return trimRepoPath(u.String())
}

func trimRepoPath(s string) string {
	s = strings.TrimRight(s, "/")
	return strings.TrimRight(strings.TrimSuffix(s, ".git"), "/")
}

// Distinguish renames, in place, the sources of one job that would share a name (two directories
// called src outside git, one repository at two revisions): the second gets "#2" after its Repo,
// the third "#3", in job order, so record ids stay unique and the same on every machine.
func Distinguish(provs []Provenance) {
	seen := map[string]int{}
	for i := range provs {
		name := provs[i].Name()
		seen[name]++
		if n := seen[name]; n > 1 {
			provs[i].Repo = fmt.Sprintf("%s#%d", provs[i].Repo, n)
		}
	}
}
