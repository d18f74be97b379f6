print("s3backup")
