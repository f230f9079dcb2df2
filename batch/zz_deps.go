package batch

import (
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/xuri/excelize/v2"
	_ "modernc.org/sqlite"
)
