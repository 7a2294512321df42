module clusterbench.dev/test/cluster/tools

go 1.24
