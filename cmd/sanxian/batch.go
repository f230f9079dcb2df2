package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/batch"
	"github.com/sanxian/sanxian/batch/sqlstore"
	"github.com/sanxian/sanxian/crs"
	"github.com/sanxian/sanxian/data"
	"github.com/sanxian/sanxian/geo"
	"github.com/sanxian/sanxian/web"
)

// batchFiles is the web.BatchFiles of the service: data's list reader
// and result writers, with their errors turned into API errors.
type batchFiles struct{ opts data.ListOptions }

func (f batchFiles) Open(name string, r io.Reader, opts web.BatchListOptions) (web.BatchList, error) {
	o := f.opts
	o.CRS = opts.CRS
	l, err := data.OpenProjectList(name, r, o)
	if err != nil {
		return nil, listError(err)
	}
	return batchList{l}, nil
}

func (batchFiles) WriteResults(w io.Writer, format string, job batch.Job, rows func(fn func(batch.Row, *batch.Result) error) error, clauses []batch.Clause) error {
	return data.WriteResults(w, format, job, rows, clauses)
}

func (batchFiles) WriteTemplate(w io.Writer, format string) error {
	return data.WriteTemplate(w, format)
}

// batchList adapts *data.ProjectList, mapping the iterator's errors.
type batchList struct{ l *data.ProjectList }

func (b batchList) Header() batch.Header { return b.l.Header }
func (b batchList) Close() error         { return b.l.Close() }
func (b batchList) Rows() iter.Seq2[batch.Row, error] {
	return func(yield func(batch.Row, error) bool) {
		for r, err := range b.l.Rows() {
			if !yield(r, listError(err)) {
				return
			}
		}
	}
}

// listCodes maps data.ListError codes to API error codes. This is the
// only place they meet.
var listCodes = map[string]string{
	data.CodeUnsupportedList: web.CodeUnsupportedList,
	data.CodeEmptyList:       web.CodeEmptyList,
	data.CodeNoSiteColumns:   web.CodeNoSiteColumns,
	data.CodeDuplicateColumn: web.CodeDuplicateColumn,
	data.CodeCorruptList:     web.CodeCorruptList,
	data.CodeBadEncoding:     web.CodeBadEncoding,
	data.CodeTooManyRows:     web.CodeTooManyRows,
	data.CodeListTooLarge:    web.CodeListTooLarge,
}

func listError(err error) error {
	var le *data.ListError
	if !errors.As(err, &le) {
		return err
	}
	code, ok := listCodes[le.Code]
	if !ok {
		code = web.CodeCorruptList
	}
	return web.BatchListError(code, le.Message, le.Line)
}

// batchConfig is the batch part of serve's configuration.
type batchConfig struct {
	StateDir  string
	StoreURL  string
	Workers   int
	Lease     time.Duration
	Retention time.Duration
	MaxUpload int64
	MaxRows   int
	WorkerID  string
}

// defaultStateDir is $XDG_STATE_HOME/sanxian, else ~/.local/state/sanxian,
// else a directory under the system's temporary directory.
func defaultStateDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "sanxian")
	}
	if h, err := os.UserHomeDir(); err == nil && h != "" {
		return filepath.Join(h, ".local", "state", "sanxian")
	}
	return filepath.Join(os.TempDir(), "sanxian-state")
}

// batchFlags declares the batch flags of serve.
func batchFlags(fs *flag.FlagSet, c *batchConfig, workers, lease, retention, maxUpload, maxRows *string) {
	host, _ := os.Hostname()
	fs.StringVar(&c.StateDir, "state-dir", envOr("SANXIAN_STATE_DIR", defaultStateDir()), "")
	fs.StringVar(&c.StoreURL, "store", envOr("SANXIAN_STORE", ""), "")
	fs.StringVar(&c.WorkerID, "worker-id", envOr("SANXIAN_WORKER_ID", fmt.Sprintf("%s-%d", host, os.Getpid())), "")
	fs.StringVar(workers, "batch-workers", envOr("SANXIAN_BATCH_WORKERS", strconv.Itoa(runtime.NumCPU())), "")
	fs.StringVar(lease, "batch-lease", envOr("SANXIAN_BATCH_LEASE", "2m"), "")
	fs.StringVar(retention, "batch-retention", envOr("SANXIAN_BATCH_RETENTION", "168h"), "")
	fs.StringVar(maxUpload, "max-upload", envOr("SANXIAN_MAX_UPLOAD", "50MB"), "")
	fs.StringVar(maxRows, "max-rows", envOr("SANXIAN_MAX_ROWS", "200000"), "")
}

// parseBatch checks the batch flags' values.
func parseBatch(c *batchConfig, workers, lease, retention, maxUpload, maxRows string) error {
	var err error
	if c.Workers, err = strconv.Atoi(workers); err != nil || c.Workers < 1 || c.Workers > 256 {
		return fmt.Errorf("--batch-workers：%q 应为 1 到 256 的整数", workers)
	}
	if c.Lease, err = time.ParseDuration(lease); err != nil || c.Lease < time.Second {
		return fmt.Errorf("--batch-lease：%q 应为不短于 1s 的时长（如 2m）", lease)
	}
	if c.Retention, err = time.ParseDuration(retention); err != nil || c.Retention < time.Minute {
		return fmt.Errorf("--batch-retention：%q 应为不短于 1m 的时长（如 168h）", retention)
	}
	if c.MaxUpload, err = parseSize(maxUpload); err != nil {
		return fmt.Errorf("--max-upload：%w", err)
	}
	if c.MaxRows, err = strconv.Atoi(maxRows); err != nil || c.MaxRows < 1 {
		return fmt.Errorf("--max-rows：%q 不是正整数", maxRows)
	}
	if u := c.StoreURL; u != "" && !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		return fmt.Errorf("--store：只支持 postgres://… 形式的 PostgreSQL 地址；不给出时任务保存在 --state-dir 下的 SQLite 数据库中")
	}
	return nil
}

// openStore opens the job store: PostgreSQL when a URL is given, else
// SQLite in the state directory.
func openStore(ctx context.Context, c batchConfig) (*sqlstore.Store, string, error) {
	if c.StoreURL != "" {
		s, err := sqlstore.OpenPostgres(ctx, c.StoreURL)
		return s, "postgres", err
	}
	s, err := sqlstore.OpenSQLite(ctx, c.StateDir)
	return s, c.StateDir, err
}

const batchUsage = `用法：sanxian batch 项目清单.xlsx|.csv -o 结果.xlsx|.csv|.geojson [参数]

不启动服务，在命令行批量筛查一个项目清单：逐行核查（与单点查询相同），写出结果文件。
清单的列与模板相同（sanxian serve 后访问 /api/v1/batches/template.xlsx 下载）。
参数：
  -o 文件             结果文件，按扩展名写 Excel（.xlsx）、CSV（.csv）或 GeoJSON（.geojson）
  --name 名称         批次名称，默认为清单文件名
  --buffer 米         未填写缓冲距离的行所用的缓冲距离，默认 0
  --nearby 米         查找最近敏感区的范围，默认 5000
  --crs 坐标系        清单坐标的坐标系（行内「坐标系」列另有填写的按该列），默认 EPSG:4490
                      （CGCS2000 经纬度）；可填 EPSG:4326（WGS84）、EPSG:4491–4554（CGCS2000
                      高斯-克吕格投影，如重庆常用 EPSG:4544、4545、4546）、GCJ02、BD09。
                      投影坐标填在 X（北坐标）、Y（东坐标）列
  --data 目录         数据集目录（默认为内置样例）
  --workers 数        并行数，默认为 CPU 数
  --max-rows 数       行数上限，默认 200000
  --quiet             不显示进度条
`

// batchCmd screens a list without a server: the same store, runner and
// writers as the service, on a temporary SQLite database.
func batchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("batch", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var out, name, dataDir, buffer, nearby, workers, maxRows, crsName string
	var quiet bool
	fs.StringVar(&out, "o", "", "")
	fs.StringVar(&name, "name", "", "")
	fs.StringVar(&dataDir, "data", envOr("SANXIAN_DATA", ""), "")
	fs.StringVar(&buffer, "buffer", "0", "")
	fs.StringVar(&nearby, "nearby", strconv.Itoa(batch.DefaultNearbyM), "")
	fs.StringVar(&crsName, "crs", "", "")
	fs.StringVar(&workers, "workers", strconv.Itoa(runtime.NumCPU()), "")
	fs.StringVar(&maxRows, "max-rows", "200000", "")
	fs.BoolVar(&quiet, "quiet", false, "")
	// Flags may come before or after the input file.
	var inputs []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return usageError(err, batchUsage, stdout, stderr)
		}
		if fs.NArg() == 0 {
			break
		}
		inputs = append(inputs, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(inputs) != 1 {
		return usageError(fmt.Errorf("应给出一个项目清单文件，收到 %d 个", len(inputs)), batchUsage, stdout, stderr)
	}
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(out)), ".")
	if out == "" || (format != "xlsx" && format != "csv" && format != "geojson") {
		return usageError(errors.New("-o 应给出 .xlsx、.csv 或 .geojson 结果文件"), batchUsage, stdout, stderr)
	}
	var opts batch.Options
	var err error
	if opts.BufferM, err = strconv.ParseFloat(buffer, 64); err != nil || opts.BufferM < 0 || opts.BufferM > web.DefaultMaxBufferM {
		return usageError(fmt.Errorf("--buffer：%q 应为 0 到 %d 米", buffer, web.DefaultMaxBufferM), batchUsage, stdout, stderr)
	}
	if opts.NearbyM, err = strconv.ParseFloat(nearby, 64); err != nil || opts.NearbyM <= 0 || opts.NearbyM > web.DefaultMaxBufferM {
		return usageError(fmt.Errorf("--nearby：%q 应为 1 到 %d 米", nearby, web.DefaultMaxBufferM), batchUsage, stdout, stderr)
	}
	nWorkers, err := strconv.Atoi(workers)
	if err != nil || nWorkers < 1 || nWorkers > 256 {
		return usageError(fmt.Errorf("--workers：%q 应为 1 到 256 的整数", workers), batchUsage, stdout, stderr)
	}
	limit, err := strconv.Atoi(maxRows)
	if err != nil || limit < 1 {
		return usageError(fmt.Errorf("--max-rows：%q 不是正整数", maxRows), batchUsage, stdout, stderr)
	}
	listCRS, err := crs.Parse(crsName) // "" is CGCS2000
	if err != nil {
		return usageError(fmt.Errorf("--crs：%s", strings.TrimPrefix(err.Error(), "crs: ")), batchUsage, stdout, stderr)
	}
	opts.CRS = listCRS.Name
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	input := inputs[0]
	f, err := os.Open(input)
	if err != nil {
		fmt.Fprintf(stderr, "无法打开清单：%v\n", err)
		return exitUsage
	}
	defer f.Close()
	list, err := data.OpenProjectList(filepath.Base(input), f, data.ListOptions{MaxRows: limit, CRS: listCRS})
	if err != nil {
		fmt.Fprintf(stderr, "清单无法读取：%v\n", describeListError(err))
		return exitUsage
	}
	defer list.Close()

	d, err := loadDataset(dataDir, geo.DefaultTolerance)
	if err != nil {
		fmt.Fprintf(stderr, "数据集加载失败：%v\n", err)
		return exitFail
	}
	var ds admission.Store
	ds.Replace(d)

	dir, err := os.MkdirTemp("", "sanxian-batch-*")
	if err != nil {
		fmt.Fprintf(stderr, "无法创建临时目录：%v\n", err)
		return exitFail
	}
	defer os.RemoveAll(dir)
	st, err := sqlstore.OpenSQLite(ctx, dir)
	if err != nil {
		fmt.Fprintf(stderr, "无法打开任务库：%v\n", err)
		return exitFail
	}
	defer st.Close()
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(input), filepath.Ext(input))
	}
	tRead := time.Now()
	job, err := st.Create(ctx, batch.Job{Name: name, FileName: filepath.Base(input), Header: list.Header, Options: opts}, list.Rows(), 200, limit)
	if err != nil {
		if errors.Is(err, batch.ErrTooManyRows) {
			fmt.Fprintf(stderr, "清单超过 %d 行上限（--max-rows）。\n", limit)
			return exitUsage
		}
		fmt.Fprintf(stderr, "清单无法读取：%v\n", describeListError(err))
		return exitUsage
	}
	list.Close()
	tCheck := time.Now()

	var bar *progressbar.ProgressBar
	if !quiet {
		bar = progressbar.NewOptions(job.Total, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("筛查中"),
			progressbar.OptionShowCount(), progressbar.OptionSetItsString("行"), progressbar.OptionShowIts(), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }))
	}
	runCtx, stopRunner := context.WithCancel(ctx)
	r := &batch.Runner{Store: st, Datasets: &ds, Worker: "cli", Workers: nWorkers, Poll: 20 * time.Millisecond,
		Limits: geo.Limits{MaxVertices: web.DefaultMaxVertices},
		OnChunk: func(_ batch.Chunk, res []batch.Result) {
			if bar != nil {
				bar.Add(len(res))
			}
		}}
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		r.Run(runCtx)
	}()
	for job.Status != batch.StatusFinished {
		select {
		case <-ctx.Done():
			stopRunner()
			<-finished
			fmt.Fprintln(stderr, "\n已中断，未写出结果。")
			return exitFail
		case <-time.After(50 * time.Millisecond):
		}
		if job, err = st.Job(ctx, job.ID); err != nil && ctx.Err() == nil {
			stopRunner()
			<-finished
			fmt.Fprintf(stderr, "读取进度失败：%v\n", err)
			return exitFail
		}
	}
	stopRunner()
	<-finished
	tWrite := time.Now()

	if err := writeResultFile(ctx, st, job, out, format); err != nil {
		fmt.Fprintf(stderr, "写出结果失败：%v\n", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "共 %d 行：", job.Total)
	parts := []string{}
	for _, o := range batch.Outcomes {
		if n := job.Counts[o]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", batch.OutcomeLabel(o), n))
		}
	}
	fmt.Fprintf(stdout, "%s。结果已写入 %s\n", strings.Join(parts, "，"), out)
	fmt.Fprintf(stdout, "用时：读取清单 %.1f s，筛查 %.1f s，写出结果 %.1f s。\n",
		tCheck.Sub(tRead).Seconds(), tWrite.Sub(tCheck).Seconds(), time.Since(tWrite).Seconds())
	return exitOK
}

// writeResultFile writes the results next to out and renames it into
// place, so a failure never leaves a half-written result.
func writeResultFile(ctx context.Context, st batch.Store, job batch.Job, out, format string) error {
	clauses, err := st.Clauses(ctx, job.ID)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".sanxian-result-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	rows := func(fn func(batch.Row, *batch.Result) error) error { return st.Results(ctx, job.ID, 0, 0, fn) }
	// The job lives in a temporary database that is gone when the
	// command ends: its id and the rows' report ids would resolve
	// nowhere, so the file carries neither.
	local := job
	local.ID = ""
	if err := data.WriteResults(tmp, format, local, rows, clauses); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}

// describeListError is a list error's Chinese message with its line.
func describeListError(err error) string {
	var le *data.ListError
	if errors.As(err, &le) {
		if le.Line > 0 {
			return fmt.Sprintf("第 %d 行：%s", le.Line, le.Message)
		}
		return le.Message
	}
	return err.Error()
}

// storeOpenError is the message for a job store serve cannot open: what
// is wrong with the state directory and which flag chooses another.
func storeOpenError(c batchConfig, where string, err error) string {
	const fix = "请用 --state-dir（或环境变量 SANXIAN_STATE_DIR）指定一个可写的目录，或用 --store 改用 PostgreSQL"
	if c.StoreURL != "" {
		return fmt.Sprintf("无法打开批量筛查任务库（%s）：%v", where, err)
	}
	switch {
	case errors.Is(err, sqlstore.ErrLocked):
		return fmt.Sprintf("批量筛查任务库目录 %s 正由另一个 sanxian 进程使用（同一目录只能由一个进程使用）。%s。", where, fix)
	case errors.Is(err, batch.ErrStorageReadOnly) || errors.Is(err, syscall.EROFS):
		return fmt.Sprintf("批量筛查任务库目录 %s 在只读文件系统上，无法写入。%s。（%v）", where, fix, err)
	case errors.Is(err, batch.ErrStorageFull) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT):
		return fmt.Sprintf("批量筛查任务库目录 %s 所在的磁盘已满。请腾出空间后重试，或%s。（%v）", where, strings.TrimPrefix(fix, "请"), err)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Sprintf("没有批量筛查任务库目录 %s 的写入权限。%s，或修改该目录的权限。（%v）", where, fix, err)
	}
	return fmt.Sprintf("无法打开批量筛查任务库（%s）：%v", where, err)
}

// lowSpace is the free space below which serve warns at start that the
// state directory's disk is nearly full.
const lowSpace = 64 << 20

// freeSpace returns the bytes available to this user on dir's file
// system.
func freeSpace(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}
