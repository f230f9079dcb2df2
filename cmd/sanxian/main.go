// Command sanxian answers siting questions against ecological zoning
// (三线一单): it serves the HTTP API (serve), checks one site from the
// command line (check), screens a project list (batch) and prints its
// version (version).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// version is set at build time: -ldflags "-X main.version=1.2.3".
var version = "dev"

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the work failed: dataset not loadable, check failed, listen failed
	exitUsage = 2 // bad usage or invalid input
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `sanxian：生态环境分区管控（三线一单）选址核查

用法：
  sanxian serve   [--addr :8080] [--data 目录] [--max-body 10MB] [--max-vertices 100000]
                  [--max-buffer 50000] [--timeout 10s] [--log-format text|json]
  sanxian check   (--wkt 'POINT(106.55 29.56)' | --geojson 文件) [--buffer 米] [--layers a,b]
                  [--format table|json] [--data 目录]
  sanxian batch   项目清单.xlsx|.csv -o 结果.xlsx|.csv|.geojson [--data 目录]
  sanxian validate 数据集目录|--sample [--format text|json] [--sliver-m2 1]
  sanxian diff    旧版本 新版本 [--format text|json] [--data 版本目录]
  sanxian import  --out 目录 [--mapping 映射.yaml] [--name 名称 --version 版本] [--crs EPSG:4545] 输入…
  sanxian version

子命令：
  serve    启动 HTTP 服务（接口说明见 /api/openapi.json）
  check    在命令行核查一个场址，结果与 HTTP 接口相同
  batch    在命令行批量筛查项目清单（Excel 或 CSV），写出结果文件
  validate 校验数据集：几何、编码、分区的空隙与重叠、区县代码、准入条款
  diff     比较两个数据集版本：单元的增删、边界（面积变化）、类别、名称与准入条款
  import   把 shapefile（zip）、GeoJSON、KML 导入为数据集目录，校验通过才写出
  version  显示版本

各子命令的参数见 sanxian <子命令> --help。环境变量 SANXIAN_ADDR、SANXIAN_DATA、
SANXIAN_MAX_BODY、SANXIAN_MAX_VERTICES、SANXIAN_MAX_BUFFER、SANXIAN_TIMEOUT、
SANXIAN_LOG_FORMAT 在未给出对应参数时生效。
`

// run is the whole program; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "check":
		return check(ctx, args[1:], stdout, stderr)
	case "batch":
		return batchCmd(ctx, args[1:], stdout, stderr)
	case "validate":
		return validate(ctx, args[1:], stdout, stderr)
	case "diff":
		return diffCmd(ctx, args[1:], stdout, stderr)
	case "import":
		return importCmd(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "sanxian %s (%s %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return exitOK
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "未知的子命令 %q。\n\n%s", args[0], usage)
	return exitUsage
}

// envOr returns the environment variable name, or def when it is unset or
// empty.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// parseSize reads a byte count: "10485760", "512KB", "10MB", "10MiB"
// (K and M are binary multiples).
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, suf := range []struct {
		s string
		m int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(t, suf.s) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, suf.s)), suf.m
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q 不是正的字节数（如 10MB、512KB、1048576）", s)
	}
	return n * mult, nil
}
