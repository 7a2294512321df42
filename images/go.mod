module clusterbench.dev/images

go 1.25
