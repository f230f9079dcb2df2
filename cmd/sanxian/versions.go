package main

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/data"
	"github.com/sanxian/sanxian/web"
)

// loadData reads, validates and indexes what --data names: the active
// version of a versions directory (vers and id are then set), a single
// dataset folder, or the embedded sample when dir is empty. A folder gets
// the full validation (admission.Options.FullValidation: a partition
// overlap refuses it); the embedded sample is validated by its tests.
func loadData(dir string, opts admission.Options) (d *admission.Dataset, vers *data.Versions, id string, err error) {
	opts.FullValidation = dir != ""
	var c data.Contents
	name := dir
	if dir == "" {
		name = "内置样例"
		c, err = data.ReadDataset(data.Sample())
	} else if v, verr := data.OpenVersions(dir); verr == nil {
		vers = v
		if id, err = vers.Active(); err != nil {
			return nil, nil, "", fmt.Errorf("版本目录 %s：%w", dir, err)
		}
		name = fmt.Sprintf("%s（版本 %s）", dir, id)
		c, err = vers.Load(id)
	} else {
		// A dataset folder, or not a directory at all: LoadDir says why.
		c, err = data.LoadDir(dir)
	}
	if err != nil {
		return nil, nil, "", fmt.Errorf("read dataset %s: %w", name, err)
	}
	if d, err = c.Open(opts); err != nil {
		return nil, nil, "", fmt.Errorf("load dataset %s: %w", name, err)
	}
	return d, vers, id, nil
}

// readAdminToken settles the admin token of serve: --admin-token, or the
// first line of --admin-token-file (surrounding spaces trimmed). A flag
// wins over the environment; both flags at once, or both variables
// without a flag, are an error, as is an empty token file.
func readAdminToken(fs *flag.FlagSet, c *serveConfig) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case set["admin-token"] && set["admin-token-file"]:
		return errors.New("--admin-token 与 --admin-token-file 只能给出其一")
	case set["admin-token"]:
		c.AdminTokenFile = ""
	case set["admin-token-file"]:
		c.Web.AdminToken = ""
	case c.Web.AdminToken != "" && c.AdminTokenFile != "":
		return errors.New("环境变量 SANXIAN_ADMIN_TOKEN 与 SANXIAN_ADMIN_TOKEN_FILE 只能设置其一")
	}
	c.Web.AdminToken = strings.TrimSpace(c.Web.AdminToken)
	if set["admin-token"] && c.Web.AdminToken == "" {
		return errors.New("--admin-token：令牌为空")
	}
	if c.AdminTokenFile == "" {
		return nil
	}
	b, err := os.ReadFile(c.AdminTokenFile)
	if err != nil {
		return fmt.Errorf("--admin-token-file：无法读取令牌文件：%w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	if c.Web.AdminToken = strings.TrimSpace(line); c.Web.AdminToken == "" {
		return fmt.Errorf("--admin-token-file：令牌文件 %s 的第一行为空", c.AdminTokenFile)
	}
	return nil
}

// datasets keeps serve's dataset in service. It loads versions, swaps
// them into the store (admission.Store.Replace: a request in flight
// finishes on the dataset it took) and, over a versions directory,
// implements web.DatasetAdmin. Activations and reloads are serialised;
// one diff is computed at a time, and its result remembered.
type datasets struct {
	store *admission.Store
	dir   string         // --data; "" for the embedded sample
	vers  *data.Versions // nil unless dir is a versions directory
	opts  admission.Options
	log   *slog.Logger

	switching chan struct{} // holds a token while a version is loaded and swapped in
	bg        background    // loads next to serving run here, on one low-priority thread
	serving   atomic.Pointer[servingVersion]
	diffs     diffCache
}

// servingVersion is the version in service and its dataset.
type servingVersion struct {
	id string
	d  *admission.Dataset
}

// openDatasets loads what --data names into store. Every version loaded
// later shares one industry classification, built here.
func openDatasets(dir string, opts admission.Options, store *admission.Store, log *slog.Logger) (*datasets, error) {
	if opts.Industries == nil {
		ind, err := admission.NewIndustries()
		if err != nil {
			return nil, fmt.Errorf("industries: %w", err)
		}
		opts.Industries = ind
	}
	d, vers, id, err := loadData(dir, opts)
	if err != nil {
		return nil, err
	}
	ds := &datasets{store: store, dir: dir, vers: vers, opts: opts, log: log, switching: make(chan struct{}, 1)}
	if id == "" {
		id = d.Info().Version
	}
	ds.logWarnings(id, d)
	ds.swap(id, d)
	return ds, nil
}

// admin is the web.DatasetAdmin of the service: nil (an untyped nil
// interface) unless --data is a versions directory.
func (ds *datasets) admin() web.DatasetAdmin {
	if ds.vers == nil {
		return nil
	}
	return ds
}

// swap puts d in service as version id and returns what it replaced.
func (ds *datasets) swap(id string, d *admission.Dataset) *servingVersion {
	prev := ds.serving.Load()
	ds.store.Replace(d)
	ds.serving.Store(&servingVersion{id: id, d: d})
	return prev
}

func (ds *datasets) servingRef() *admission.DatasetRef {
	if d := ds.store.Current(); d != nil {
		ref := d.Ref()
		return &ref
	}
	return nil
}

// load reads, fully validates and indexes version id to serve it, in the
// background (see background), next to the serving version.
func (ds *datasets) load(id string) (d *admission.Dataset, err error) {
	ds.bg.run(func() { d, err = ds.open(id, true) })
	return d, err
}

// open reads, validates and indexes version id on the calling goroutine:
// fully validated when it is to serve, with Validate's checks only (for a
// diff) otherwise.
func (ds *datasets) open(id string, serve bool) (*admission.Dataset, error) {
	c, err := ds.vers.Load(id)
	if err != nil {
		return nil, err
	}
	opts := ds.backgroundOpts()
	opts.FullValidation = serve
	return c.Open(opts)
}

// backgroundOpts are the options of a load next to serving: all the work
// on the calling goroutine (see background).
func (ds *datasets) backgroundOpts() admission.Options {
	opts := ds.opts
	opts.Workers = 1
	return opts
}

// versionError turns a failure to find or load version id into an API
// error; parameter names the request parameter that gave the id.
func (ds *datasets) versionError(parameter, id string, err error, serving *admission.DatasetRef) error {
	switch {
	case errors.Is(err, data.ErrBadVersionID):
		return web.InvalidVersionError(parameter, id)
	case errors.Is(err, data.ErrUnknownVersion):
		return web.VersionNotFoundError(id)
	}
	return web.DatasetInvalidError(id, ds.problems(err), serving)
}

// problems lists why a version cannot be loaded, without file system
// paths: every validation problem, or one problem for damaged files.
func (ds *datasets) problems(err error) []admission.Problem {
	var ve *admission.ValidationError
	if errors.As(err, &ve) {
		return ve.Problems
	}
	if errors.Is(err, data.ErrChecksum) {
		return []admission.Problem{{Layer: data.ManifestFile, Code: "checksum_mismatch",
			Message: "数据文件与 dataset.json 声明的校验和不符（文件损坏或被改动）。"}}
	}
	return []admission.Problem{{Layer: data.ManifestFile, Code: "unreadable", Message: describeFileError(err)}}
}

// describeFileError says in Chinese why a dataset's files cannot be
// read, naming the file inside the version folder but never a file
// system path or a Go error string (the log has those).
func describeFileError(err error) string {
	var fe *data.FileError
	if !errors.As(err, &fe) {
		return "数据集文件无法读取（详情见服务日志）。"
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("文件 %s 缺失。", fe.Name)
	case errors.Is(err, syscall.EISDIR):
		return fmt.Sprintf("%s 不是文件（是文件夹）。", fe.Name)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Sprintf("没有读取文件 %s 的权限。", fe.Name)
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("文件 %s 已损坏：不是完整的 gzip 压缩文件。", fe.Name)
	case errors.As(err, &syn):
		return fmt.Sprintf("文件 %s 不是有效的 JSON（约第 %d 字节处）。", fe.Name, syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("文件 %s 的字段 %s 类型不对。", fe.Name, typ.Field)
	case fe.Op == "parse":
		return fmt.Sprintf("文件 %s 的内容无法解析（详情见服务日志）。", fe.Name)
	}
	return fmt.Sprintf("文件 %s 无法读取（详情见服务日志）。", fe.Name)
}

// lock waits for the switching token, or for ctx.
func (ds *datasets) lock(ctx context.Context) error {
	select {
	case ds.switching <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (ds *datasets) unlock() { <-ds.switching }

// Activate loads, validates and indexes version id, records it in ACTIVE
// and swaps it into service. Waiting for another activation ends with
// ctx; once loading has begun it is finished whatever happens to the
// request, so that the outcome does not depend on a client's patience.
// A version that fails to load changes nothing.
func (ds *datasets) Activate(ctx context.Context, id string) (admission.DatasetRef, error) {
	if err := ds.lock(ctx); err != nil {
		return admission.DatasetRef{}, err
	}
	defer ds.unlock()
	start := time.Now()
	d, err := ds.load(id)
	if err != nil {
		if !errors.Is(err, data.ErrBadVersionID) && !errors.Is(err, data.ErrUnknownVersion) {
			ds.log.Warn("数据集版本无法启用，继续使用当前版本", "version_id", id, "folder", filepath.Join(ds.dir, id), "error", err, "serving", ds.serving.Load().id)
		}
		return admission.DatasetRef{}, ds.versionError("version", id, err, ds.servingRef())
	}
	if err := ds.vers.SetActive(id); err != nil {
		return admission.DatasetRef{}, fmt.Errorf("activate %s: %w", id, err)
	}
	prev := ds.swap(id, d)
	ds.logSwitch("数据集版本已启用", id, d, prev, start)
	return d.Ref(), nil
}

func (ds *datasets) logSwitch(msg, id string, d *admission.Dataset, prev *servingVersion, start time.Time) {
	info := d.Info()
	ds.logWarnings(id, d)
	attrs := []any{"version_id", id, "name", info.Name, "version", info.Version, "checksum", info.Checksum,
		"warnings", len(d.Warnings()), "duration", time.Since(start).Round(time.Millisecond)}
	if prev != nil {
		attrs = append(attrs, "previous", prev.id, "previous_checksum", prev.d.Info().Checksum)
	}
	ds.log.Info(msg, attrs...)
}

// maxLoggedWarnings bounds the validation warnings logged for one load;
// 'sanxian validate' lists them all.
const maxLoggedWarnings = 20

// logWarnings logs the full validation's warnings of version id (gaps,
// units outside the districts, retired codes …): they do not stop a load.
func (ds *datasets) logWarnings(id string, d *admission.Dataset) {
	ws := d.Warnings()
	for i, w := range ws {
		if i == maxLoggedWarnings {
			ds.log.Warn("更多校验警告未列出，请运行 sanxian validate 查看全部", "version_id", id, "warnings", len(ws))
			break
		}
		ds.log.Warn("数据集校验警告", "version_id", id, "code", w.Code, "layer", w.Layer, "feature", w.Feature, "message", w.Message)
	}
}

// reload re-reads ACTIVE (or the single dataset folder) and swaps in what
// it names, with the rules of Activate but without writing ACTIVE; on
// failure the serving version stays. The embedded sample is not
// reloaded. It is what SIGHUP does.
func (ds *datasets) reload() error {
	if ds.dir == "" {
		ds.log.Info("收到重新加载信号：使用内置样例，无需重新加载")
		return nil
	}
	_ = ds.lock(context.Background())
	defer ds.unlock()
	start := time.Now()
	ds.log.Info("收到重新加载信号，重新读取数据集", "data", ds.dir)
	var (
		d   *admission.Dataset
		id  string
		err error
	)
	ds.bg.run(func() { d, _, id, err = loadData(ds.dir, ds.backgroundOpts()) })
	if err != nil {
		ds.log.Error("重新加载失败，继续使用当前版本", "error", err, "serving", ds.serving.Load().id)
		return err
	}
	if id == "" {
		id = d.Info().Version
	}
	prev := ds.swap(id, d)
	ds.logSwitch("数据集已重新加载", id, d, prev, start)
	return nil
}

// Versions lists the versions, the serving one marked active.
func (ds *datasets) Versions(context.Context) ([]web.DatasetVersion, error) {
	list, err := ds.vers.List()
	if err != nil {
		return nil, err
	}
	serving := ds.serving.Load()
	out := make([]web.DatasetVersion, len(list))
	for i, v := range list {
		out[i] = web.DatasetVersion{ID: v.ID, Name: v.Name, Version: v.Version, Published: v.Published, Checksum: v.Checksum,
			Synthetic: v.Synthetic, Features: v.Features, Active: serving != nil && v.ID == serving.id}
		if v.Err != nil {
			out[i].Problem = describeFileError(v.Err)
			ds.log.Warn("数据集版本的文件无法读取", "version_id", v.ID, "error", v.Err)
		}
	}
	return out, nil
}

// maxCachedDiffs bounds the diffs remembered.
const maxCachedDiffs = 8

// diffCache remembers diffs by version ids and declared checksums, and
// lets concurrent requests for the same diff share one computation.
type diffCache struct {
	mu    sync.Mutex
	calls map[string]*diffCall
	order []string // finished keys, oldest first
	sem   chan struct{}
}

type diffCall struct {
	done chan struct{}
	res  *admission.DatasetDiff
	err  error
}

// Diff compares two versions. The serving version is used as loaded; the
// other is loaded for the comparison. A computation outlives a request
// that gives up on it, and its result is remembered for the next one.
func (ds *datasets) Diff(ctx context.Context, from, to string) (*admission.DatasetDiff, error) {
	fi, err := ds.vers.Info(from)
	if err != nil {
		return nil, ds.versionError("from", from, err, nil)
	}
	ti, err := ds.vers.Info(to)
	if err != nil {
		return nil, ds.versionError("to", to, err, nil)
	}
	key := strings.Join([]string{from, fi.Checksum, to, ti.Checksum}, "\x00")
	cacheable := fi.Checksum != "" && ti.Checksum != ""
	c := &ds.diffs
	c.mu.Lock()
	if c.calls == nil {
		c.calls, c.sem = map[string]*diffCall{}, make(chan struct{}, 1)
	}
	call, ok := c.calls[key]
	if !ok {
		call = &diffCall{done: make(chan struct{})}
		if cacheable {
			c.calls[key] = call
		}
		go ds.computeDiff(key, call, from, to, cacheable)
	}
	c.mu.Unlock()
	select {
	case <-call.done:
		return call.res, call.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (ds *datasets) computeDiff(key string, call *diffCall, from, to string, cacheable bool) {
	c := &ds.diffs
	c.sem <- struct{}{}
	start := time.Now()
	var err error
	ds.bg.run(func() {
		var a, b *admission.Dataset
		if a, err = ds.diffSide("from", from); err != nil {
			return
		}
		if b, err = ds.diffSide("to", to); err != nil {
			return
		}
		call.res = admission.Diff(a, b)
	})
	call.err = err
	<-c.sem
	c.mu.Lock()
	switch {
	case err != nil || !cacheable:
		delete(c.calls, key)
	default:
		c.order = append(c.order, key)
		if len(c.order) > maxCachedDiffs {
			delete(c.calls, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.mu.Unlock()
	close(call.done)
	if err == nil {
		ds.log.Info("数据集版本已比较", "from", from, "to", to, "duration", time.Since(start).Round(time.Millisecond),
			"features_added", call.res.Counts.FeaturesAdded, "features_removed", call.res.Counts.FeaturesRemoved,
			"geometry_changed", call.res.Counts.GeometryChanged, "clauses_changed", call.res.Counts.ClausesChanged)
	}
}

// diffSide is version id as a dataset: the serving one when id is in
// service, else loaded.
func (ds *datasets) diffSide(parameter, id string) (*admission.Dataset, error) {
	if s := ds.serving.Load(); s != nil && s.id == id {
		if vi, err := ds.vers.Info(id); err == nil && vi.Checksum == s.d.Info().Checksum {
			return s.d, nil
		}
	}
	d, err := ds.open(id, false)
	if err != nil {
		return nil, ds.versionError(parameter, id, err, nil)
	}
	return d, nil
}
