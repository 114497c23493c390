module github.com/lsgd/lsgd

go 1.26.8
